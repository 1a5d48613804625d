export { Worker, AUTO_APPROVE_ACTOR, defaultWorkerId } from './worker.js';
export type { WorkerOptions, WorkerEvents, WorkerStats, StageEvent, StageEndEvent, BookEvent } from './worker.js';
export { FolderWatcher, type WatchOptions } from './watch.js';
export { rescueExpiredLeases, LEASE_RESCUE_ACTOR, type RescuedBook } from './lease-rescue.js';
export { createLogger, silentLogger, type Logger } from './logger.js';
export { ThreadPool, InlineRunner, type TaskRunner } from './pool.js';
export { scheduleMaintenance } from './maintenance.js';
export { STAGES } from './stages/index.js';
export type { Stage, StageName, StageContext, StageResult } from './stage.js';
