/** `batch-priority N`: set base and effective priority of the books matching a filter. */
import { batchCommand } from '../../ops/batch-command.js';
import { InputError } from '../../domain/errors.js';

export default batchCommand('batch-priority', 'priority', {
  usage: 'batch-priority N [filter flags] [--execute]',
  summary: `Sets the priority (1 most urgent … 10) of the books matching the filter (default the
queued states detected, needs_retry, approved; --state pending_approval also allowed).`,
  operation: (ctx) => {
    const raw = ctx.args.input[0];
    if (raw === undefined) throw new InputError('batch-priority needs the new priority, e.g. batch-priority 2');
    if (ctx.args.input.length > 1) throw new InputError(`unexpected argument '${ctx.args.input[1]}'`);
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 10) throw new InputError(`priority must be a whole number from 1 (most urgent) to 10, got '${raw}'`);
    return { kind: 'priority', priority: n };
  },
});
