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
const KNOWN_VIOLATIONS = [
  // BookActions and Enqueuer are services over the stores, not pure rules: they move out of
  // src/domain (and onto the engine).
  ...allow('domain-is-pure', 'src/domain/actions.ts', ['src/db/audit.ts', 'src/db/db.ts', 'src/db/pipeline-row.ts', 'src/db/pipelines.ts', 'src/db/queue.ts']),
  ...allow('domain-is-pure', 'src/domain/enqueue.ts', ['fs', 'path', 'src/db/audit.ts', 'src/db/db.ts', 'src/db/pipeline-row.ts', 'src/db/pipelines.ts', 'src/db/queue.ts', 'src/ingest/hash.ts']),
  ...allow('sync-stores-only-in-db', 'src/domain/actions.ts', ['src/db/db.ts', 'src/db/queue.ts']),
  ...allow('sync-stores-only-in-db', 'src/domain/enqueue.ts', ['src/db/db.ts', 'src/db/queue.ts']),

  // Prepared statements outside src/db (their SQL moves into src/db/sqlite/<group>.ts), and
  // backup/restore opening files with the driver (moves behind the upkeep group).
  ...allow('drivers-only-in-db', 'src/library/store.ts', [BETTER_SQLITE3]),
  ...allow('drivers-only-in-db', 'src/metrics/db-snapshot.ts', [BETTER_SQLITE3]),
  ...allow('drivers-only-in-db', 'src/ops/aging.ts', [BETTER_SQLITE3]),
  ...allow('drivers-only-in-db', 'src/ops/backup.ts', [BETTER_SQLITE3]),
  ...allow('drivers-only-in-db', 'src/ops/durations.ts', [BETTER_SQLITE3]),
  ...allow('drivers-only-in-db', 'src/ops/health.ts', [BETTER_SQLITE3]),
  ...allow('drivers-only-in-db', 'src/ops/restore.ts', [BETTER_SQLITE3]),
  ...allow('drivers-only-in-db', 'src/ops/stuck-detector.ts', [BETTER_SQLITE3]),
  ...allow('drivers-only-in-db', 'src/worker/stages/hashing.ts', [BETTER_SQLITE3]),

  // Synchronous transactions and stores used directly: `immediate`, `openDatabase`,
  // `schemaVersion`, AuditLog, PipelineStore, claim limits. These become engine operations.
  ...allow('sync-stores-only-in-db', 'src/services.ts', ['src/db/db.ts']),
  ...allow('sync-stores-only-in-db', 'src/cli/commands/batch-queue.ts', ['src/db/db.ts', 'src/db/pipelines.ts']),
  ...allow('sync-stores-only-in-db', 'src/cli/commands/init.ts', ['src/db/db.ts']),
  ...allow('sync-stores-only-in-db', 'src/metrics/db-snapshot.ts', ['src/db/db.ts']),
  ...allow('sync-stores-only-in-db', 'src/metrics/readiness.ts', ['src/db/db.ts']),
  ...allow('sync-stores-only-in-db', 'src/ops/aging.ts', ['src/db/db.ts']),
  ...allow('sync-stores-only-in-db', 'src/ops/backup-verify.ts', ['src/db/audit.ts', 'src/db/db.ts']),
  ...allow('sync-stores-only-in-db', 'src/ops/backup.ts', ['src/db/db.ts']),
  ...allow('sync-stores-only-in-db', 'src/ops/batch.ts', ['src/db/db.ts']),
  ...allow('sync-stores-only-in-db', 'src/ops/durations.ts', ['src/db/db.ts']),
  ...allow('sync-stores-only-in-db', 'src/ops/recovery.ts', ['src/db/db.ts']),
  ...allow('sync-stores-only-in-db', 'src/ops/restore.ts', ['src/db/audit.ts', 'src/db/db.ts']),
  ...allow('sync-stores-only-in-db', 'src/ops/retention.ts', ['src/db/audit.ts', 'src/db/db.ts']),
  ...allow('sync-stores-only-in-db', 'src/worker/book-runner.ts', ['src/db/db.ts']),
  ...allow('sync-stores-only-in-db', 'src/worker/claim-feed.ts', ['src/db/queue.ts']),
  ...allow('sync-stores-only-in-db', 'src/worker/lease-rescue.ts', ['src/db/db.ts']),
  ...allow('sync-stores-only-in-db', 'screens/book-story.ts', ['src/db/history.ts']),
  ...allow('sync-stores-only-in-db', 'src/cli/util.ts', ['src/db/history.ts', 'src/db/queue.ts']),
  // Engine-neutral helpers that live in a store file (DatabaseMissingError, AUDIT_ACTIONS,
  // auditToJson, parseSince, auditFilterTerms, isDenseBookPrefix): they move to a file of
  // their own (or to src/domain), which then needs no allowance.
  ...allow('sync-stores-only-in-db', 'bin/agentic-pipeline.ts', ['src/db/db.ts']),
  ...allow('sync-stores-only-in-db', 'screens/describe.ts', ['src/db/audit.ts']),
  ...allow('sync-stores-only-in-db', 'src/cli/commands/audit.ts', ['src/db/audit.ts']),
  ...allow('sync-stores-only-in-db', 'src/cli/completion.ts', ['src/db/audit.ts']),
  ...allow('sync-stores-only-in-db', 'src/mcp/tools/read-tools.ts', ['src/db/audit.ts']),
  ...allow('sync-stores-only-in-db', 'store/sources.ts', ['src/db/audit.ts']),

  // CLI glue that lives in src/ops (argument parsing, command contexts, tables): it belongs in
  // src/cli, or takes what it needs as parameters.
  ...allow('ops-not-cli', 'src/ops/batch-command.ts', ['src/cli/args.ts', 'src/cli/command.ts', 'src/cli/context.ts', 'src/cli/format.ts']),
  ...allow('ops-not-cli', 'src/ops/cli-support.ts', ['src/cli/args.ts', 'src/cli/context.ts']),

  // The console: key bindings and view types the stores name (TabId, ColourToken,
  // KeyValueItem) move to store/ or a shared types file; the React context moves to screens/.
  ...allow('store-not-view', 'store/context.tsx', ['node_modules/react/index.js']),
  ...allow('store-not-view', 'store/stores.ts', ['screens/keymap.ts']),
  ...allow('store-not-view', 'store/ui.ts', ['components/KeyValueList.tsx', 'components/theme.ts', 'screens/keymap.ts']),
];

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
      to: { path: ['^(screens|components)/', REACT] },
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
