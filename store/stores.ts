/** Every console store, created together and handed to React through one context. */
import type { TabId } from './tabs.js';
import { createAuditStore, type AuditStore } from './audit.js';
import { createBatchStore, type BatchStore } from './batch.js';
import { createFailedStore, type FailedStore } from './failed.js';
import { createHealthStore, type HealthStore } from './health.js';
import { createQueueStore, type QueueStore } from './queue.js';
import { createStuckStore, type StuckStore } from './stuck.js';
import { createUiStore, type UiStore } from './ui.js';
import { createNotifyGate, type NotifyGate } from './notify-gate.js';

export interface ConsoleStores {
  readonly ui: UiStore;
  readonly health: HealthStore;
  readonly stuck: StuckStore;
  readonly queue: QueueStore;
  readonly batch: BatchStore;
  readonly audit: AuditStore;
  readonly failed: FailedStore;
  /** Every store above notifies through this: the Poller holds it while a poll reads. */
  readonly gate: NotifyGate;
}

export function createConsoleStores(initialTab: TabId = 'health'): ConsoleStores {
  const gate = createNotifyGate();
  return {
    ui: gate.gate(createUiStore(initialTab)),
    health: gate.gate(createHealthStore()),
    stuck: gate.gate(createStuckStore()),
    queue: gate.gate(createQueueStore()),
    batch: gate.gate(createBatchStore()),
    audit: gate.gate(createAuditStore()),
    failed: gate.gate(createFailedStore()),
    gate,
  };
}
