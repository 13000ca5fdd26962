// Turns a problem at a field path (from zod or the cross-checks) into a located PolicyFileIssue: the YAML
// node at that path gives line and column, and the message is worded for an operator, not a programmer.
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';
import type { PathIssue } from './cross-check.js';
import type { PolicyFileIssue } from './errors.js';
import { closestMatch, describeValue } from './suggest.js';

type Path = readonly (string | number)[];

export interface SourceFile {
  readonly file: string;
  readonly document: Document;
  readonly lineCounter: LineCounter;
  /** The document as plain data, for wording messages with the value found. */
  readonly data: unknown;
}

/** Locate and word zod issues (one issue per unknown field). */
export function locateSchemaIssues(source: SourceFile, issues: readonly z.core.$ZodIssue[]): PolicyFileIssue[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
    if (issue.code === 'unrecognized_keys') {
      const allowed = issue.message.replace(/^allowed fields: /, '').split(', ');
      return issue.keys.map((key) => {
        const suggestion = closestMatch(key, allowed);
        const hint = suggestion === null ? '' : ` (did you mean "${suggestion}"?)`;
        return locateIssue(source, [...path, key], `unknown field "${key}"${hint}; ${issue.message}`, true);
      });
    }
    return [locateIssue(source, path, wordIssue(issue, valueAt(source.data, path)))];
  });
}

/** Locate cross-check issues. */
export function locatePathIssues(source: SourceFile, issues: readonly PathIssue[]): PolicyFileIssue[] {
  return issues.map((issue) => locateIssue(source, issue.path, issue.message));
}

/** A located issue for a path; `atKey` points at the field name rather than its value. */
export function locateIssue(source: SourceFile, path: Path, message: string, atKey = false): PolicyFileIssue {
  const offset = offsetOf(source.document, path, atKey);
  const { line, col } = offset === null ? { line: 1, col: 1 } : source.lineCounter.linePos(offset);
  const policy = policyNameAt(source.data, path);
  return {
    file: source.file,
    line,
    column: col,
    path: formatPath(path),
    message,
    ...(policy === null ? {} : { policy }),
  };
}

/** `policies[2].conditions.ip[0]`. */
export function formatPath(path: Path): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    return text === '' ? segment : `${text}.${segment}`;
  }, '');
}

const DEFAULT_MESSAGE = /^(Invalid|Too (small|big)|Unrecognized)/;

function wordIssue(issue: z.core.$ZodIssue, value: unknown): string {
  if (value === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) return 'is required';
  if (!DEFAULT_MESSAGE.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${article(issue.expected)}, got ${describeValue(value)}`;
    case 'invalid_value': {
      const values = issue.values.map(String);
      const suggestion = typeof value === 'string' ? closestMatch(value, values) : null;
      const hint = suggestion === null ? '' : ` (did you mean ${suggestion}?)`;
      return `must be one of ${values.join(', ')}, got ${describeValue(value)}${hint}`;
    }
    case 'too_small':
      return issue.origin === 'array' ? 'must not be empty' : `must be at least ${String(issue.minimum)}`;
    default:
      return issue.message;
  }
}

function article(expected: string): string {
  const words: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'text', number: 'a number' };
  return words[expected] ?? expected;
}

function valueAt(data: unknown, path: Path): unknown {
  let current: unknown = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function policyNameAt(data: unknown, path: Path): string | null {
  if (path[0] !== 'policies' || typeof path[1] !== 'number') return null;
  const name = valueAt(data, ['policies', path[1], 'name']);
  return typeof name === 'string' && name !== '' ? name : null;
}

/** Source offset of the node at `path`, or of the nearest ancestor that exists. */
function offsetOf(document: Document, path: Path, atKey: boolean): number | null {
  let node: unknown = document.contents;
  let offset = rangeStart(node);
  for (const [i, segment] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) return offset;
      const keyOffset = rangeStart(pair.key);
      const valueOffset = rangeStart(pair.value);
      offset = (last && atKey) || valueOffset === null ? (keyOffset ?? offset) : valueOffset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      offset = rangeStart(node) ?? offset;
    } else return offset;
  }
  return offset;
}

function rangeStart(node: unknown): number | null {
  const range = (node as Node | null | undefined)?.range;
  return range === undefined || range === null ? null : range[0];
}
