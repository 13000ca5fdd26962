// Policy file text → PolicySet, or every problem found, each with file, line, column and field path.
// Steps: YAML syntax (yaml's parseDocument with a LineCounter), shape (zod), cross-field checks, compile.
import { LineCounter, parseDocument, type Document } from 'yaml';
import { compilePolicyDocument } from './compile.js';
import { crossCheckPolicyDocument } from './cross-check.js';
import { PolicyFileError, type PolicyFileIssue } from './errors.js';
import { locateIssue, locatePathIssues, locateSchemaIssues, type SourceFile } from './locate.js';
import { policyDocumentSchema } from './schema.js';
import type { PolicySet } from './types.js';

export type PolicyParseResult =
  | { readonly ok: true; readonly policySet: PolicySet }
  | { readonly ok: false; readonly issues: readonly PolicyFileIssue[] };

/** Parse and validate a policy file; ordinary problems are returned, never thrown. */
export function parsePolicyFile(text: string, file: string): PolicyParseResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    // Versions such as 14.10 must stay text: without the float tag, YAML floats resolve as strings.
    customTags: (tags) => tags.filter((tag) => typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:float'),
  });
  const syntax = syntaxIssues(document, lineCounter, file);
  if (syntax.length > 0) return { ok: false, issues: syntax };

  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // e.g. an alias bomb ("Excessive alias count"): a bad file, never a crash of the server reloading it.
    return {
      ok: false,
      issues: [{ file, line: 1, column: 1, path: '', message: `cannot read the file: ${(error as Error).message}` }],
    };
  }
  const source: SourceFile = { file, document, lineCounter, data };
  if (data === null || data === undefined) {
    const message = 'the file is empty: expected a mapping with default, named_locations and policies';
    return { ok: false, issues: [locateIssue(source, [], message)] };
  }
  const parsed = policyDocumentSchema.safeParse(data);
  const issues = [
    ...(parsed.success ? [] : locateSchemaIssues(source, parsed.error.issues)),
    ...locatePathIssues(source, crossCheckPolicyDocument(data)),
  ];
  if (!parsed.success || issues.length > 0) return { ok: false, issues: sortIssues(issues) };
  return { ok: true, policySet: compilePolicyDocument(parsed.data, file) };
}

/** Parse a policy file or throw a PolicyFileError carrying every issue. */
export function loadPolicySet(text: string, file: string): PolicySet {
  const result = parsePolicyFile(text, file);
  if (!result.ok) throw new PolicyFileError(file, result.issues);
  return result.policySet;
}

function syntaxIssues(document: Document, lineCounter: LineCounter, file: string): PolicyFileIssue[] {
  return document.errors.map((error) => {
    const position = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
    const message = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
    return { file, line: position.line, column: position.col, path: '', message: `YAML syntax: ${message}` };
  });
}

function sortIssues(issues: readonly PolicyFileIssue[]): PolicyFileIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
}
