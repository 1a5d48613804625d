/** The latest HealthReport (Health tab, tab badges). */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { HealthReport } from '../src/ops/types.js';
import { sameData } from './equal.js';

export interface HealthState {
  readonly report: HealthReport | null;
  readonly error: string | null;
  /** Keeps the current report when only its generation time differs. */
  applySnapshot(report: HealthReport): void;
  setError(error: string | null): void;
}

export type HealthStore = StoreApi<HealthState>;

/** The report without the field that changes on every read. */
function comparable(r: HealthReport): Omit<HealthReport, 'generated_at'> {
  const { generated_at: _ignored, ...rest } = r;
  return rest;
}

export function createHealthStore(): HealthStore {
  return createStore<HealthState>()((set, get) => ({
    report: null,
    error: null,
    applySnapshot: (report) => {
      const cur = get();
      if (cur.report && cur.error === null && sameData(comparable(cur.report), comparable(report))) return;
      set({ report, error: null });
    },
    setError: (error) => {
      if (get().error !== error) set({ error });
    },
  }));
}
