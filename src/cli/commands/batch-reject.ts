/** `batch-reject --reason R`: reject the books matching a filter. */
import { batchCommand, requireReason } from '../batch-command.js';

export default batchCommand('batch-reject', 'reject', {
  usage: 'batch-reject --reason R [filter flags] [--execute]',
  summary: `Rejects books matching the filter (default state pending_approval; --state may also
pick approved, detected, needs_retry). --reason is required.`,
  flags: { reason: { type: 'string', description: 'why (required; recorded in the audit)' } },
  operation: (ctx) => ({ kind: 'reject', reason: requireReason(ctx) }),
});
