/**
 * The console's tabs, declared once. The stores key their state by tab, so the ids live with the
 * stores; the keymap and the views import them from here.
 */
export const TAB_IDS = ['health', 'stuck', 'queue', 'batch', 'audit', 'failed'] as const;
export type TabId = (typeof TAB_IDS)[number];

/**
 * The tabs that show a list, declared once: they get the shared list keys (`list` scope), the
 * `/` filter and details, and the footer follows their selection. The controller's table of
 * list keys is a Record over these, so a list tab without one does not compile.
 */
export const LIST_TAB_IDS = ['stuck', 'queue', 'audit', 'failed'] as const satisfies readonly TabId[];
export type ListTabId = (typeof LIST_TAB_IDS)[number];

export function isListTab(tab: string): tab is ListTabId {
  return (LIST_TAB_IDS as readonly string[]).includes(tab);
}
