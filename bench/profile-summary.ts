// Where a server spent its CPU: reads a V8 .cpuprofile (from BENCH_CPU_PROF=1 npm run bench, written by
// the Latchkey server when it exits) and prints self time by package or source folder and by function,
// the quick look before opening the profile as a flame graph (Chrome DevTools, speedscope).
//   node --import tsx bench/profile-summary.ts /tmp/latchkey-bench-XXXX/profiles/CPU.….cpuprofile [top]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<package>, dist/src/<folder>, node:<module>, or the V8 pseudo-frame's name. */
function ownerOf(url: string, name: string): string {
  if (!url) return `(${name || 'native'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /dist\/src\/([^/]+)/.exec(url);
  if (own) return `latchkey ${own[1]}/`;
  return url.startsWith('node:') ? url : url.replace(/^file:\/\//, '');
}

function top(totals: Map<string, number>, count: number, all: number): string[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(
      ([key, us]) => `${((us / all) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`,
    );
}

function main(file: string | undefined, count: number): void {
  if (!file) {
    process.stderr.write('usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') return;
    all += us;
    const owner = ownerOf(url, functionName);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
    const where = `${functionName || '(anonymous)'} ${owner}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(where, (byFunction.get(where) ?? 0) + us);
  });
  process.stdout.write(`busy ${(all / 1e6).toFixed(1)} s (idle excluded)\n\nself time by owner:\n`);
  process.stdout.write(`${top(byOwner, count, all).join('\n')}\n\nself time by function:\n`);
  process.stdout.write(`${top(byFunction, count, all).join('\n')}\n`);
}

main(process.argv[2], Number(process.argv[3] ?? 25));
