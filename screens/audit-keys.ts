/**
 * The Audit tab's keys: follow new entries as they arrive, and the list keys over a keyset window
 * of the append-only log (newest first). Moving the cursor stops following, so the rows a person
 * is reading do not scroll away under them.
 */
import { AUDIT_FILTER_HINT, AuditSource, describeAuditFilter, parseAuditFilter } from '../store/sources.js';
import { loadAuditWindow, type AuditIntent } from '../store/audit.js';
import { auditDetails } from './describe.js';
import type { KeyDeps, KeyHandlers, ListKeys } from './tab-keys.js';

export interface AuditKeys {
  readonly handlers: KeyHandlers<'audit'>;
  readonly list: ListKeys;
  /** Loads the window `intent` asks for (also the poller's audit feed). */
  load(intent: AuditIntent): Promise<void>;
}

export function auditKeys(deps: KeyDeps): AuditKeys {
  const source = new AuditSource(deps.services);
  const ui = () => deps.stores.ui.getState();
  const audit = () => deps.stores.audit.getState();

  async function load(intent: AuditIntent): Promise<void> {
    const w = await loadAuditWindow(source, audit(), intent, deps.listRows());
    audit().applyWindow(w);
  }

  async function toggleFollow(): Promise<void> {
    const a = audit();
    a.setFollow(!a.follow);
    // `a` is the state before the toggle: following starts at the newest entry.
    if (!a.follow) await deps.safe(() => load({ kind: 'top' }));
    ui().setMessage({ text: a.follow ? 'Follow off (f follows again)' : 'Following new entries: the cursor stays on the newest' });
  }

  /** Moving the cursor stops following (the rows being read must not scroll away); say so. */
  function stopFollowing(): void {
    if (!audit().follow) return;
    audit().setFollow(false);
    ui().setMessage({ text: 'Follow off: the cursor moved (f follows again)', tone: 'warning' });
  }

  const list: ListKeys = {
    move: (delta) => {
      stopFollowing();
      return load({ kind: 'move', delta });
    },
    jump: (to) => {
      // Top is where following would keep the cursor anyway; the bottom is the oldest entry.
      if (to === 'bottom') stopFollowing();
      return load({ kind: to });
    },
    selectedDetails: async () => {
      const id = audit().selectedId;
      const row = id !== null ? await source.get(id) : undefined;
      return row ? { tab: 'audit', id: String(row.id), title: `Audit entry #${row.id}`, items: auditDetails(row) } : null;
    },
    selection: () => ({ hasSelection: audit().selectedId !== null }),
    filterPlaceholder: AUDIT_FILTER_HINT,
    filterText: () => audit().filterText,
    setFilter: (text) => {
      audit().setFilter(text, parseAuditFilter(text));
      return load({ kind: 'top' });
    },
    describeFilter: (text) => describeAuditFilter(parseAuditFilter(text)),
  };

  return {
    handlers: {
      'audit.follow': () => toggleFollow(),
      'audit.filter': () => deps.askFilter(),
    },
    list,
    load,
  };
}
