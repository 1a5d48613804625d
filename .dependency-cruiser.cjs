/**
 * Import boundaries, checked by `npm run lint:deps` (part of `npm test`).
 *
 * The layers, from the outside in:
 *   bin/ → src/cli, src/mcp, src/metrics, src/worker, screens/ (the interfaces)
 *   screens/ → store/ → src/ (services)        components/ → components/, src/text/
 *   src/ops, src/worker, … → src/db (the Engine interface, async) → src/db/sqlite, src/db/postgres
 *   src/domain: pure rules (states, errors, priorities), imported by everyone, importing no one.
 * Why machine-checked: the engine boundary (#14) only holds if nothing outside src/db can reach
 * a driver or a synchronous store again; a review will not notice one stray import, this will.
 *
 * Type-only imports (`import type`) vanish at compile time, so row and entry types from
 * src/db/*.ts may be imported everywhere; rules about the stores and engines match value imports.
 *
 * Paths are relative to the repository root. Checked: bin/ src/ store/ screens/ components/.
 * Not checked: test/ (tests set up rows through the synchronous stores on purpose) and bench/
 * (it measures the SQLite engine and the console directly); shipped code may not import either.
 */

/**
 * TRANSITIONAL (#14): violations that exist while code is still moving behind the engine. Each
 * entry allows exactly the listed imports (from → to) for one rule, so a new violation, even in
 * the same file, still fails. The lead empties this list once the branches of #14 are merged;
 * do not add to it.
 */
const BETTER_SQLITE3 = 'node_modules/better-sqlite3/lib/index.js';
const KNOWN_VIOLATIONS = [];

/** Known violations of `rule`: `from` importing each of `tos` (paths as dependency-cruiser reports them). */
function allow(rule, from, tos) {
  return tos.map((to) => ({ rule, from, to }));
}

/** Where each rule applies. */
const UI = '^(screens|store|components)/';
const REACT = '(^|/)node_modules/(@types/)?(react|react-dom|ink|ink-[^/]+)/';
const DRIVERS = '(^|/)node_modules/(@types/)?(better-sqlite3|pg|pg-[^/]+)/';
/** The synchronous stores: only code inside src/db (and tests) may hold them. */
const SYNC_STORES = '^src/db/(db|pipelines|queue|audit|history)\\.ts$';
/** Where an engine is chosen and built. */
const COMPOSITION = '^src/(services\\.ts|db/)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'src-not-ui',
      comment: 'src/ is the services every interface shares; the console (screens, store, components, react, ink) builds on it, never the reverse.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: [UI, REACT] },
    },
    {
      name: 'components-only-components-text',
      comment: 'Components draw what they are given: other components, src/text for widths and numbers, react/ink and small npm libraries; no stores, screens or services.',
      severity: 'error',
      from: { path: '^components/' },
      to: { path: '^(bin|src|store|screens|bench|test)/', pathNot: '^src/text/' },
    },
    {
      name: 'store-not-view',
      comment: 'The console stores hold state and talk to the services; drawing it (screens, components, react, ink) is the views\' job.',
      severity: 'error',
      from: { path: '^store/' },
      to: { path: ['^screens/', REACT] },
    },
    {
      name: 'store-not-components',
      comment: 'The stores may name a presentational type they hold (a message tone, a details row) with `import type`, which vanishes at compile time; they never load a component.',
      severity: 'error',
      from: { path: '^store/' },
      to: { path: '^components/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'domain-is-pure',
      comment: 'src/domain is the pure rules: it imports only itself (and node:crypto, zod); no database, no I/O, so every layer and every engine can use it.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', '^(node:)?crypto$', '(^|/)node_modules/zod/'] },
    },
    {
      name: 'text-is-pure',
      comment: 'src/text (widths, escaping, numbers) is what components may use: it imports only itself, the pure domain and small npm libraries, so a component can never reach a service through it.',
      severity: 'error',
      from: { path: '^src/text/' },
      to: { path: ['^(bin|src|store|screens|components|bench|test)/', '^(node:)?(fs|child_process|net|http|https|worker_threads)$', DRIVERS], pathNot: '^src/(text|domain)/' },
    },
    {
      name: 'drivers-only-in-db',
      comment: 'Only src/db talks to a database driver (better-sqlite3, pg), types included: everything else goes through the Engine.',
      severity: 'error',
      from: { path: '^(bin|src|store|screens|components)/', pathNot: '^src/db/' },
      to: { path: DRIVERS },
    },
    {
      name: 'engines-only-at-composition',
      comment: 'An engine implementation (src/db/sqlite, src/db/postgres) is chosen where services are composed, nowhere else; callers see the Engine interface.',
      severity: 'error',
      from: { path: '^(bin|src|store|screens|components)/', pathNot: COMPOSITION },
      to: { path: '^src/db/(sqlite|postgres)/' },
    },
    {
      name: 'sync-stores-only-in-db',
      comment: 'The synchronous stores (Db, PipelineStore, WorkQueue, AuditLog, history) are the SQLite engine\'s insides; outside src/db only their row and entry types may be imported (import type).',
      severity: 'error',
      from: { path: '^(bin|src|store|screens|components)/', pathNot: '^src/db/' },
      to: { path: SYNC_STORES, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'ops-not-cli',
      comment: 'Operations are shared by the CLI, MCP and the console; formatting for people lives in src/text.',
      severity: 'error',
      from: { path: '^src/ops/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'ingest-self-contained',
      comment: 'Ingestion (extract, classify, chunk, embed) is a library over files: it knows the states and errors of the domain and nothing of the pipeline\'s storage or interfaces.',
      severity: 'error',
      from: { path: '^src/ingest/' },
      to: { path: '^(bin|src|store|screens|components|bench|test)/', pathNot: ['^src/ingest/', '^src/domain/(errors|states)\\.ts$'] },
    },
    {
      name: 'db-not-upper-layers',
      comment: 'src/db is the bottom layer: it serves operations, the CLI, the worker, MCP, metrics and ingestion, and imports none of them.',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { path: '^src/(ops|cli|worker|mcp|metrics|ingest|demo)/|^src/services\\.ts$' },
    },
    {
      name: 'no-bench-or-test-in-product',
      comment: 'Shipped code never imports benchmarks or tests.',
      severity: 'error',
      from: { path: '^(bin|src|store|screens|components)/' },
      to: { path: '^(bench|test)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // node_modules may be a symlink (git worktrees): keep paths as written, so violations read the same everywhere.
    preserveSymlinks: true,
    exclude: { path: '^(dist|test)/' },
    // Type-only imports are dependencies too (dependencyTypes then include "type-only"), so the
    // driver rule also sees `import type { Statement } from 'better-sqlite3'`.
    tsPreCompilationDeps: true,
    //tsConfig
    // A "../x.js" import resolves to "../x.ts" (NodeNext) by dependency-cruiser's own rule.
    enhancedResolveOptions: {
      extensions: ['.ts', '.tsx', '.js', '.d.ts'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    skipAnalysisNotInRules: true,
    knownViolations: KNOWN_VIOLATIONS.map(({ rule, from, to }) => ({ type: 'dependency', from, to, rule: { name: rule, severity: 'error' } })),
  },
};
