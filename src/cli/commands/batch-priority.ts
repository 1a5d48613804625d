/** `batch-priority N`: set base and effective priority of the books matching a filter. */
import { batchCommand } from '../batch-command.js';
import { InputError } from '../../domain/errors.js';
import { MAX_PRIORITY, MIN_PRIORITY } from '../../domain/states.js';
import { parsePriority } from '../util.js';

export default batchCommand('batch-priority', 'priority', {
  usage: 'batch-priority N [filter flags] [--execute]   (or --priority N)',
  summary: `Sets the priority (1 most urgent … 10) of the books matching the filter (default the
queued states detected, needs_retry, approved; --state pending_approval also allowed).`,
  flags: {
    priority: { type: 'number', integer: true, description: `the new priority, ${MIN_PRIORITY}..${MAX_PRIORITY} (instead of the positional N)` },
  },
  operation: (ctx) => {
    const raw = ctx.args.input[0];
    if (ctx.args.input.length > 1) throw new InputError(`unexpected argument '${ctx.args.input[1]}'`);
    const flag = ctx.args.flags.priority as number | undefined;
    const positional = raw === undefined ? undefined : parsePriority(raw);
    const fromFlag = flag === undefined ? undefined : parsePriority(String(flag), '--priority');
    if (positional !== undefined && fromFlag !== undefined && positional !== fromFlag) {
      throw new InputError(`two priorities given: ${positional} and --priority ${fromFlag}; give one`);
    }
    const n = positional ?? fromFlag;
    if (n === undefined) throw new InputError('batch-priority needs the new priority, e.g. batch-priority 2 (or --priority 2)');
    return { kind: 'priority', priority: n };
  },
});
