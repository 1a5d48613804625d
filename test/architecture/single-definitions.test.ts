/**
 * Rules and formats that exist once: a second copy drifts (two formatCount's rounded
 * differently; two MIN_PRIORITY's would let the console and the CLI disagree on the bounds).
 * Each name below is defined in exactly one module; everyone else imports or re-exports it.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const SCANNED = ['bin', 'src', 'store', 'screens', 'components'];

/** Name → the one module that defines it. */
const HOMES: Record<string, string> = {
  MIN_PRIORITY: 'src/domain/states.ts',
  MAX_PRIORITY: 'src/domain/states.ts',
  DEFAULT_PRIORITY: 'src/domain/states.ts',
  assertPriority: 'src/domain/priority.ts',
  escapeControl: 'src/domain/control-chars.ts',
  hasControl: 'src/domain/control-chars.ts',
  formatCount: 'src/text/format.ts',
  shortId: 'src/text/format.ts',
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

const exported = (node: ts.Node): boolean =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/**
 * Top-level exported definitions in `file` of the names above. `export const x = y` (another
 * name for an import) and `export { x } from` are not definitions.
 */
function definitions(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const names: string[] = [];
  for (const statement of source.statements) {
    if (!exported(statement)) continue;
    if (ts.isFunctionDeclaration(statement) && statement.name) names.push(statement.name.text);
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && !(d.initializer && ts.isIdentifier(d.initializer))) names.push(d.name.text);
      }
    }
  }
  return names.filter((n) => n in HOMES);
}

describe('single definitions', () => {
  it('each shared rule and format is defined in one module only', () => {
    const where: Record<string, string[]> = {};
    for (const file of SCANNED.flatMap(sourceFiles)) for (const name of definitions(file)) (where[name] ??= []).push(file);
    const expected = Object.fromEntries(Object.entries(HOMES).map(([name, file]) => [name, [file]]));
    expect(where).toEqual(expected);
  });
});
