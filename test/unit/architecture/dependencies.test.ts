// The dependency rule of DESIGN.md as a test: no top-level folder of src/ imports from a folder that imports
// it back, and the pure cores (policies/, trust/ outside trust/service/) import nothing that does I/O.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../../src', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

/** Every import specifier of a file (static imports, re-exports and dynamic imports). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

/** The capability folder a file belongs to: its first directory under src/ (or the file itself at the top). */
function folderOf(file: string): string {
  const relative = path.relative(SRC, file);
  const [first] = relative.split(path.sep);
  return relative.includes(path.sep) ? first! : relative.replace(/\.ts$/, '');
}

const files = sourceFiles(SRC);

function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const from = folderOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = folderOf(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      if (target !== from) edges.add(target);
    }
  }
  return graph;
}

function findCycle(graph: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

/** Modules that reach the network, the disk, a database or the clock's side of the world. */
const IO_MODULES = [/^node:(fs|http|https|tls|child_process|dgram|dns)/, /^(knex|pg|ioredis|better-sqlite3|koa)/];

describe('the dependency rule', () => {
  it('has no import cycle between the folders of src/', () => {
    expect(findCycle(folderGraph())).toBeNull();
  });

  it.each([
    ['policies', (f: string) => f.startsWith(path.join(SRC, 'policies') + path.sep)],
    [
      'trust (outside trust/service)',
      (f: string) =>
        f.startsWith(path.join(SRC, 'trust') + path.sep) &&
        !f.startsWith(path.join(SRC, 'trust', 'service') + path.sep),
    ],
  ])('keeps %s free of I/O', (_name, inCore) => {
    const offenders = files.filter(inCore).flatMap((file) =>
      importsOf(file)
        .filter((spec) => IO_MODULES.some((pattern) => pattern.test(spec)) || /\/(store|server|http)\//.test(spec))
        .map((spec) => `${path.relative(SRC, file)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });
});
