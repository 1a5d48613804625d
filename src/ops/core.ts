/** What every ops service is built from: the engine of one open database, and its config. */
import type { Clock } from '../domain/clock.js';
import type { OpsConfig } from '../config/ops.js';
import type { Engine } from '../db/engine.js';

export interface OpsCore {
  /** Where the database is (a file path or a server URL): what messages and file-level jobs name. */
  readonly dbPath: string;
  readonly engine: Engine;
  readonly clock: Clock;
}

export interface OpsContext extends OpsCore {
  readonly config: OpsConfig;
}
