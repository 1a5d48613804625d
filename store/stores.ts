/** Every console store, created together and handed to React through one context. */
import type { TabId } from './tabs.js';
import { createAuditStore, type AuditStore } from './audit.js';
import { createBatchStore, type BatchStore } from './batch.js';
import { createFailedStore, type FailedStore } from './failed.js';
import { createHealthStore, type HealthStore } from './health.js';
import { createQueueStore, type QueueStore } from './queue.js';
import { createStuckStore, type StuckStore } from './stuck.js';
import { createUiStore, type UiStore } from './ui.js';

export interface ConsoleStores {
  readonly ui: UiStore;
  readonly health: HealthStore;
  readonly stuck: StuckStore;
  readonly queue: QueueStore;
  readonly batch: BatchStore;
  readonly audit: AuditStore;
  readonly failed: FailedStore;
}

export function createConsoleStores(initialTab: TabId = 'health'): ConsoleStores {
  return {
    ui: createUiStore(initialTab),
    health: createHealthStore(),
    stuck: createStuckStore(),
    queue: createQueueStore(),
    batch: createBatchStore(),
    audit: createAuditStore(),
    failed: createFailedStore(),
  };
}
