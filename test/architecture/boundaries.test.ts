/**
 * The import boundaries of .dependency-cruiser.cjs (run by `npm run lint:deps`) catch what they
 * are meant to: planted violations in a miniature of the layout (test/fixtures/boundaries) are
 * reported, exactly, and the real tree has none beyond the transitional allowances, each of
 * which is still needed (an allowance nobody needs any more must be removed, not kept "just in case").
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { cruise, type IConfiguration, type IViolation } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/** The real configuration, as `npm run lint:deps` reads it. */
const config = createRequire(import.meta.url)(path.join(ROOT, '.dependency-cruiser.cjs')) as IConfiguration;
/** What `npm run lint:deps` checks. */
const CHECKED = ['bin', 'src', 'store', 'screens', 'components'];

const line = (v: Pick<IViolation, 'from' | 'to'> & { rule: { name: string } }): string => `${v.rule.name}: ${v.from} → ${v.to}`;

/** Every violation under `baseDir`, known ones included, as sorted "rule: from → to" lines. */
async function violations(baseDir: string, paths: string[]): Promise<string[]> {
  const { knownViolations: _known, ...options } = config.options ?? {};
  const result = await cruise(paths, { ...options, baseDir, validate: true, ruleSet: { forbidden: config.forbidden } });
  if (typeof result.output === 'string') throw new Error('expected a JSON result');
  return result.output.summary.violations.map(line).sort();
}

describe('import boundaries', () => {
  it('reports exactly the planted violations of the fixture', async () => {
    const fixture = path.join(ROOT, 'test/fixtures/boundaries');
    const reported = (await violations(fixture, ['src', 'components', 'store'])).map((v) =>
      // The driver resolves into the repository's node_modules, wherever that is from here.
      v.replace(/→ (\.\.\/)*node_modules\//, '→ node_modules/'),
    );
    expect(reported).toEqual(
      [
        'components-only-components-text: components/y.tsx → store/z.ts',
        'domain-is-pure: src/domain/x.ts → src/db/db.ts',
        'drivers-only-in-db: src/ops/statement.ts → node_modules/better-sqlite3/lib/index.js',
        'engines-only-at-composition: src/worker/engine.ts → src/db/sqlite/engine.ts',
        'sync-stores-only-in-db: src/cli/opens-db.ts → src/db/db.ts',
        'sync-stores-only-in-db: src/domain/x.ts → src/db/db.ts',
      ].sort(),
    );
  });

  it('the real tree keeps them, apart from the transitional allowances, all of which are still needed', async () => {
    const known = (config.options?.knownViolations ?? []).map(line).sort();
    const reported = await violations(ROOT, CHECKED);
    expect(reported.filter((v) => !known.includes(v)), 'violations (see .dependency-cruiser.cjs)').toEqual([]);
    expect(known.filter((v) => !reported.includes(v)), 'allowances no longer needed: remove them from KNOWN_VIOLATIONS').toEqual([]);
  });
});
