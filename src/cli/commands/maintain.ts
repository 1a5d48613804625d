/**
 * `maintain`: one maintenance pass for cron: learned durations, automatic recovery of stuck books,
 * priority aging, audit retention, WAL checkpoint when large. Exit 1 if a step failed.
 */
import type { Command } from '../command.js';
import { InputError } from '../../domain/errors.js';
import { formatCount } from '../format.js';
import { MAINTENANCE_STEPS, type MaintenanceStep } from '../../ops/maintenance.js';
import { CONFIG_FLAG, listFlag, opsFor } from '../ops-support.js';
import { stringFlag } from '../util.js';

const command: Command = {
  usage: 'maintain [--json] [--skip STEP,…] [--anchor FILE]',
  summary: `One maintenance pass (for cron): ${MAINTENANCE_STEPS.join(', ')}.
Automatic recovery follows the ops.recovery.rules of the config file (default: lease expired →
retry; processing over 60 min → retry), at most 2 per book. With --anchor FILE, appends the audit
chain's head to FILE last (see audit anchor). Exit 1 if a step failed.`,
  flags: {
    skip: { type: 'string', isMultiple: true, description: `steps to skip: ${MAINTENANCE_STEPS.join(', ')}` },
    anchor: { type: 'string', description: 'append the audit chain head to this anchor file after the other steps' },
    ...CONFIG_FLAG,
  },
  async run(ctx) {
    const skip = listFlag(ctx.args.flags.skip) ?? [];
    for (const s of skip) {
      if (!(MAINTENANCE_STEPS as readonly string[]).includes(s)) {
        throw new InputError(`unknown step '${s}' for --skip (one of ${MAINTENANCE_STEPS.join(', ')})`);
      }
    }
    const anchorTo = stringFlag(ctx, 'anchor');
    if (anchorTo !== undefined && anchorTo.trim() === '') throw new InputError('--anchor needs a file name');
    const ops = await opsFor(ctx);
    const report = await ops.maintenance.run({ skip: skip as MaintenanceStep[], ...(anchorTo !== undefined ? { anchorTo } : {}) });
    if (ctx.json) ctx.out.json(report);
    else {
      if (report.durations) {
        const learned = report.durations.filter((d) => d.samples > 0).map((d) => `${d.state} ${d.median_ms === null ? '-' : (d.median_ms / 1000).toFixed(1) + 's'} (${d.samples})`);
        ctx.out.line(`Durations: ${learned.length ? learned.join(', ') : 'no samples yet'}`);
      }
      if (report.recovery) {
        const r = report.recovery;
        ctx.out.line(`Recovery:  ${r.recovered.length} recovered, ${r.capped.length} at the automatic limit, ${r.unmatched} left for an operator, ${r.skipped.length} skipped`);
      }
      if (report.aging) ctx.out.line(`Aging:     ${formatCount(report.aging.aged)} aged (${formatCount(report.aging.to_top)} to priority 1)`);
      if (report.retention) ctx.out.line(`Retention: ${formatCount(report.retention.total)} audit rows deleted`);
      if (report.anchor) ctx.out.line(`Anchor:    audit entry #${report.anchor.id} (${formatCount(report.anchor.count)} entries) appended to ${report.anchor.file}`);
      if (report.checkpoint) ctx.out.line(`WAL:       ${(report.checkpoint.wal_bytes / 1048576).toFixed(1)} MB${report.checkpoint.checkpointed ? ', checkpointed' : ''}`);
      for (const e of report.errors) ctx.out.warn(`maintain: ${e.step} failed: ${e.message}`);
      ctx.out.line(`Done in ${report.elapsed_ms} ms.`);
    }
    return report.errors.length ? 1 : 0;
  },
};

export default command;
