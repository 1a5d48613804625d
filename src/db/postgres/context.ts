/** What every PostgreSQL operation group shares. */
import type pg from 'pg';
import type { Clock } from '../../domain/clock.js';
import { PIPELINE_COLUMNS } from '../pipeline-row.js';

export interface PgContext {
  readonly pool: pg.Pool;
  /**
   * The time to write, or null for the database's own clock (ap_now in the schema). Production
   * passes null: leases are compared across hosts, and only the server's clock is one clock.
   * Tests (and the end-to-end clock offset) pass a clock they control.
   */
  now(): number | null;
  readonly clock: Clock | undefined;
}

/** PIPELINE_COLUMNS qualified with `p.`, for statements that join another relation. */
export const P_COLUMNS = PIPELINE_COLUMNS.split(', ')
  .map((c) => `p.${c}`)
  .join(', ');
