/**
 * The prompt that asks why before a rejection (Stuck, Failed and Batch tabs alike): a rejection
 * is final for a book, so the audit log must say why, and an empty reason is refused.
 */
import type { PromptOverlay } from '../store/ui.js';

export interface ReasonPromptOptions {
  /** What is being rejected, e.g. `book 3f2a… (title)` or `12 books`. */
  readonly subject: string;
  /** Called with the trimmed reason. */
  readonly onReason: (reason: string) => void | Promise<void>;
  readonly onCancel: () => void;
}

export function reasonPrompt(o: ReasonPromptOptions): PromptOverlay {
  return {
    kind: 'prompt',
    label: `Reason for rejecting ${o.subject}`,
    placeholder: 'why (recorded in the audit log)',
    validate: (v) => (v.trim() === '' ? 'A reason is required' : null),
    onSubmit: (v) => o.onReason(v.trim()),
    onCancel: o.onCancel,
  };
}
