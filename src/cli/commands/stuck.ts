/**
 * `stuck`: books stuck in a working state (lease expired, or over multiplier × expected), and
 * their recovery: --retry/--reset/--reject ID for one, --recover [--action A] for all stuck now.
 */
import type { Command } from '../command.js';
import { InputError } from '../../domain/errors.js';
import { formatCount, formatSeconds, shortId, table } from '../format.js';
import type { RecoveryAction, StuckBook } from '../../ops/types.js';
import { CONFIG_FLAG, expectedFlag, optionalNumber, opsFor } from '../ops-support.js';
import type { OpsConfigInput } from '../../config/ops.js';

const ACTIONS: readonly RecoveryAction[] = ['retry', 'reset', 'reject'];

const command: Command = {
  usage: 'stuck [--json] [--retry ID | --reset ID | --reject ID --reason R | --recover [--action A]]',
  summary: `Lists books stuck in a working state: the lease expired, or in the state longer than
multiplier (default 2) × expected (learned median, else the built-in default).
Recovery: retry (→ needs_retry with backoff; failed once attempts are used up), reset (start
over: → detected, an embedding book → approved), reject (needs --reason). Each revokes the
lease first and is audited STUCK_RECOVERED; a book already recovered is refused (exit 2).`,
  flags: {
    retry: { type: 'string', description: 'retry this book (id or prefix)' },
    reset: { type: 'string', description: 'reset this book to start over' },
    reject: { type: 'string', description: 'reject this book (needs --reason)' },
    reason: { type: 'string', description: 'why (required for reject; recorded in the audit)' },
    recover: { type: 'boolean', default: false, description: 'recover every book stuck now with --action' },
    action: { type: 'string', default: 'retry', description: 'with --recover: retry (default), reset or reject' },
    limit: { type: 'number', default: 100, description: 'list / recover at most this many (default 100)' },
    multiplier: { type: 'number', description: 'stuck when longer than this × expected (default 2)' },
    expected: { type: 'string', isMultiple: true, description: 'expected seconds for a state, e.g. processing=1200 (repeatable)' },
    minSamples: { type: 'number', description: 'learned median used from this many samples (default 100)' },
    ...CONFIG_FLAG,
  },
  async run(ctx) {
    const f = ctx.args.flags;
    const single = (['retry', 'reset', 'reject'] as const).filter((a) => f[a] !== undefined);
    if (single.length > 1) throw new InputError('give only one of --retry, --reset, --reject');
    if (single.length === 1 && f.recover) throw new InputError('--recover recovers every stuck book; do not combine it with --retry/--reset/--reject');
    const limit = Number(f.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new InputError('--limit must be a whole number above 0');
    const stuckOverrides: Record<string, unknown> = {};
    const mult = optionalNumber(f.multiplier);
    if (mult !== undefined) stuckOverrides.multiplier = mult;
    const minSamples = optionalNumber(f.minSamples);
    if (minSamples !== undefined) stuckOverrides.min_samples = minSamples;
    const expected = expectedFlag(f.expected);
    if (expected) stuckOverrides.expected_seconds = expected;
    const overrides: OpsConfigInput = Object.keys(stuckOverrides).length ? { stuck: stuckOverrides as OpsConfigInput['stuck'] } : {};
    const reason = (f.reason as string | undefined)?.trim();

    if (single.length === 1) {
      const action = single[0]!;
      if (action === 'reject' && !reason) throw new InputError('--reject needs --reason "…"');
      const ops = await opsFor(ctx, overrides);
      const id = String(f[action]);
      const before = await ops.core.engine.pipelines.get(await ops.core.engine.pipelines.resolveId(id));
      const r = await ops.recovery.recoverWith(id, action, ctx.actor, reason ? { reason } : {});
      if (ctx.json) {
        ctx.out.json({ id: r.pipeline.id, action, from: before?.state ?? null, to: r.pipeline.state, audit_id: r.audit_id });
      } else {
        ctx.out.line(`Recovered ${shortId(r.pipeline.id)}: ${before?.state ?? '?'} → ${r.pipeline.state} (${action}, audit #${r.audit_id})`);
      }
      return 0;
    }

    if (f.recover) {
      const action = String(f.action) as RecoveryAction;
      if (!ACTIONS.includes(action)) throw new InputError(`--action must be retry, reset or reject, got '${action}'`);
      if (action === 'reject' && !reason) throw new InputError('--recover --action reject needs --reason "…"');
      const ops = await opsFor(ctx, overrides);
      const stuck = await ops.stuck.detect({ limit });
      const recovered: { id: string; from: string; to: string; audit_id: number }[] = [];
      const skipped: { id: string; why: string }[] = [];
      for (const b of stuck) {
        try {
          const r = await ops.recovery.recoverWith(b.id, action, ctx.actor, {
            expectedVersion: b.version,
            ...(reason ? { reason } : {}),
          });
          recovered.push({ id: b.id, from: b.state, to: r.pipeline.state, audit_id: r.audit_id });
        } catch (err) {
          if (err instanceof InputError) skipped.push({ id: b.id, why: err.message });
          else throw err;
        }
      }
      if (ctx.json) ctx.out.json({ action, stuck: stuck.length, recovered, skipped });
      else {
        if (stuck.length === 0) ctx.out.line('No stuck pipelines.');
        for (const r of recovered) ctx.out.line(`Recovered ${shortId(r.id)}: ${r.from} → ${r.to} (${action}, audit #${r.audit_id})`);
        for (const s of skipped) ctx.out.line(`Skipped ${shortId(s.id)}: ${s.why}`);
        if (stuck.length) ctx.out.line(`${recovered.length} recovered, ${skipped.length} skipped.`);
      }
      return 0;
    }

    const ops = await opsFor(ctx, overrides);
    // The same survey the health report and the console read: one count, capped the same way.
    const { books: stuck, count, capped } = await ops.stuck.survey({ limit });
    const total = `${formatCount(count)}${capped ? '+' : ''}`;
    if (ctx.json) {
      const thresholds = await ops.stuck.thresholds();
      ctx.out.json({
        count,
        count_capped: capped,
        stuck: stuck.map((b) => ({
          id: b.id,
          state: b.state,
          stuck_seconds: b.stuck_seconds,
          expected_seconds: b.expected_seconds,
          source_path: b.source_path,
          reason: b.reason,
          lease_owner: b.lease_owner,
          attempts: b.attempts,
          max_attempts: b.max_attempts,
          auto_recoveries: b.auto_recoveries,
          version: b.version,
        })),
        thresholds,
      });
      return 0;
    }
    if (stuck.length === 0) {
      ctx.out.line('No stuck pipelines.');
      return 0;
    }
    ctx.out.line(
      table<StuckBook>(stuck, [
        { header: 'ID', value: (b) => shortId(b.id) },
        { header: 'STATE', value: (b) => b.state },
        { header: 'STUCK', value: (b) => formatSeconds(b.stuck_seconds), align: 'right' },
        { header: 'EXPECTED', value: (b) => formatSeconds(b.expected_seconds), align: 'right' },
        { header: 'REASON', value: (b) => b.reason },
        { header: 'PATH', value: (b) => b.source_path, flex: true },
      ]),
    );
    if (count > stuck.length) ctx.out.line(`… ${formatCount(count - stuck.length)}${capped ? '+' : ''} more (raise --limit)`);
    ctx.out.line(`\n${total} stuck. Recover: stuck --retry ID | --reset ID | --reject ID --reason R | --recover`);
    return 0;
  },
};

export default command;
