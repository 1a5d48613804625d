/**
 * SQL lives in src/db only (#14): outside it, code asks the Engine for named operations, so a
 * second engine (PostgreSQL) can implement the same interface and no query escapes review of the
 * store. This scans every string and template literal outside src/db for an SQL keyword, written
 * the way this codebase writes SQL (upper case), with the TypeScript parser, so comments and
 * identifiers do not count. better-sqlite3's `.pragma('…')` takes a PRAGMA without its keyword,
 * so a call of a method named `pragma` counts as SQL too.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const SCANNED = ['bin', 'src', 'store', 'screens', 'components'];
const EXEMPT = 'src/db/';
const SQL = /\b(SELECT|UPDATE|INSERT|DELETE|PRAGMA)\b/;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** The literal text pieces of a string or template literal node (substitutions left out). */
function literalTexts(node: ts.Node): string[] {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
  if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((s) => s.literal.text)];
  return [];
}

/** `x.pragma(…)`: a PRAGMA statement through the driver. */
function isPragmaCall(node: ts.Node): boolean {
  return ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'pragma';
}

/** "file:line: keyword" for each literal (and pragma call) in `text` that holds SQL. */
function offencesIn(text: string, file = 'probe.ts'): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: string[] = [];
  const at = (node: ts.Node): number => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const visit = (node: ts.Node): void => {
    if (isPragmaCall(node)) found.push(`${file}:${at(node)}: pragma()`);
    const texts = literalTexts(node);
    if (texts.length) {
      const m = texts.map((t) => SQL.exec(t)).find((x) => x !== null);
      if (m) found.push(`${file}:${at(node)}: ${m[1]}`);
      // A template's substitutions may hold literals of their own.
      if (ts.isTemplateExpression(node)) node.templateSpans.forEach((s) => visit(s.expression));
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('SQL stays in src/db', () => {
  it('the scanner finds SQL in strings, templates and pragma calls, not in comments or names', () => {
    expect(offencesIn(`const a = 'SELECT 1';\nconst b = \`UPDATE t SET x = \${1}\`;\nconst c = "PRAGMA user_version";`)).toEqual([
      'probe.ts:1: SELECT',
      'probe.ts:2: UPDATE',
      'probe.ts:3: PRAGMA',
    ]);
    expect(offencesIn(`const d = \`x \${f('DELETE FROM t')} y\`;\nconst e = <T a="INSERT" />;`, 'probe.tsx')).toEqual([
      'probe.tsx:1: DELETE',
      'probe.tsx:2: INSERT',
    ]);
    expect(offencesIn(`db.pragma('data_version', { simple: true }); const pragma = 1;`)).toEqual(['probe.ts:1: pragma()']);
    expect(offencesIn(`// SELECT in a comment\n/* UPDATE */ const SELECT_ALL = 'select all'; const f = 'BATCH_DELETE';`)).toEqual([]);
  });

  it('no string or template literal outside src/db holds SQL', () => {
    const files = SCANNED.flatMap(sourceFiles).filter((f) => !f.startsWith(EXEMPT));
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((f) => offencesIn(fs.readFileSync(path.join(ROOT, f), 'utf8'), f));
    // Move each statement into src/db/sqlite/<group>.ts behind a named Engine operation.
    expect(found).toEqual([]);
  });
});
