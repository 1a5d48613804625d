/**
 * The schema version this build migrates a database to. Each engine has its own list of
 * migrations (src/db/migrations.ts, src/db/postgres/migrations.ts), so the number means
 * something only beside the engine: build_info carries both.
 */
import type { EngineKind } from './engine.js';
import { isPostgresLocation } from './location.js';
import { MIGRATIONS } from './migrations.js';
import { PG_MIGRATIONS } from './postgres/migrations.js';

export function engineKind(location: string): EngineKind {
  return isPostgresLocation(location) ? 'postgres' : 'sqlite';
}

export function targetSchema(kind: EngineKind): number {
  return kind === 'postgres' ? PG_MIGRATIONS.length : MIGRATIONS.length;
}
