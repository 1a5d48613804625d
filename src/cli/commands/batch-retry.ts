/** `batch-retry`: send failed / needs_retry / rejected books through again. */
import { batchCommand } from '../batch-command.js';

export default batchCommand('batch-retry', 'retry', {
  usage: 'batch-retry [--max-attempts N] [filter flags] [--execute]',
  summary: `Retries books matching the filter (default states failed, needs_retry; --state rejected
also allowed): failed → needs_retry with attempts reset (an approved book resumes at embedding),
needs_retry → claimable now, rejected → detected (starts over).`,
  flags: {
    maxAttempts: { type: 'number', integer: true, description: 'only books with fewer than N attempts so far' },
  },
  operation: () => ({ kind: 'retry' }),
});
