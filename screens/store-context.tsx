/**
 * React access to the console stores. Components select only what they draw: a primitive, or an
 * array/object through `useShallow`, so a poll that changes one store re-renders only the
 * components reading that part (selecting a whole store re-renders on every set).
 */
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { ConsoleStores } from '../store/stores.js';
import type { UiState } from '../store/ui.js';
import type { HealthState } from '../store/health.js';
import type { StuckState } from '../store/stuck.js';
import type { QueueState } from '../store/queue.js';
import type { BatchState } from '../store/batch.js';
import type { AuditState } from '../store/audit.js';
import type { FailedState } from '../store/failed.js';

const StoresContext = createContext<ConsoleStores | null>(null);

export function StoresProvider(props: { stores: ConsoleStores; children?: ReactNode }): ReactNode {
  return <StoresContext.Provider value={props.stores}>{props.children}</StoresContext.Provider>;
}

export function useStores(): ConsoleStores {
  const stores = useContext(StoresContext);
  if (!stores) throw new Error('console stores are missing: mount <StoresProvider>');
  return stores;
}

export const useUi = <T,>(selector: (s: UiState) => T): T => useStore(useStores().ui, selector);
export const useHealth = <T,>(selector: (s: HealthState) => T): T => useStore(useStores().health, selector);
export const useStuck = <T,>(selector: (s: StuckState) => T): T => useStore(useStores().stuck, selector);
export const useQueue = <T,>(selector: (s: QueueState) => T): T => useStore(useStores().queue, selector);
export const useBatch = <T,>(selector: (s: BatchState) => T): T => useStore(useStores().batch, selector);
export const useAudit = <T,>(selector: (s: AuditState) => T): T => useStore(useStores().audit, selector);
export const useFailed = <T,>(selector: (s: FailedState) => T): T => useStore(useStores().failed, selector);
