/** `batch-approve`: approve the pending_approval books matching a filter. */
import { batchCommand } from '../batch-command.js';

export default batchCommand('batch-approve', 'approve', {
  usage: 'batch-approve [filter flags] [--execute]',
  summary: 'Approves books waiting for approval (pending_approval → approved) that match the filter.',
  operation: () => ({ kind: 'approve' }),
});
