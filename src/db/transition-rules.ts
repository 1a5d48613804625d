/**
 * The transition checks both engines make, in the same order and with the same typed errors, so
 * a refusal reads the same on SQLite and PostgreSQL: why one book may not move (`refusalFor`),
 * and which of a lease holder's group moves the table allows (`splitAdvance`).
 */
import type { PipelineRow } from './pipeline-row.js';
import type { PipelineState } from '../domain/states.js';
import { canTransition, isPipelineState } from '../domain/states.js';
import { IllegalTransitionError, InputError, LeaseLostError } from '../domain/errors.js';
import type { AdvanceOutcome, HeldTransition } from './pipelines.js';

export function refusalFor(
  req: { id: string; to: PipelineState; leaseToken?: string | undefined; expectedVersion?: number | undefined },
  current: PipelineRow,
  froms: readonly PipelineState[],
): Error | undefined {
  if (req.leaseToken !== undefined && current.lease_token !== req.leaseToken) {
    return new LeaseLostError(req.id, String(current.lease_owner ?? 'nobody'));
  }
  if (!froms.includes(current.state)) {
    return new IllegalTransitionError(
      req.id,
      current.state,
      req.to,
      `pipeline ${req.id.slice(0, 8)} is ${current.state}, not ${froms.join(' or ')}; cannot move it to ${req.to}`,
    );
  }
  if (!canTransition(current.state, req.to)) return new IllegalTransitionError(req.id, current.state, req.to);
  if (req.expectedVersion !== undefined && current.version !== req.expectedVersion) {
    return new IllegalTransitionError(req.id, current.state, req.to, `pipeline ${req.id.slice(0, 8)} changed since it was read`);
  }
  return undefined;
}

/**
 * A group advance's items split into the moves the table allows and those refused up front
 * (unknown state or a repeated book: InputError for the whole call).
 */
export function splitAdvance(items: readonly HeldTransition[]): { legal: HeldTransition[]; refused: AdvanceOutcome['refused'] } {
  const refused: AdvanceOutcome['refused'] = [];
  const legal: HeldTransition[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    if (!isPipelineState(item.to)) throw new InputError(`unknown state '${item.to}'`);
    if (seen.has(item.id)) throw new InputError(`pipeline ${item.id.slice(0, 8)} is listed twice in one advance`);
    seen.add(item.id);
    if (canTransition(item.from, item.to)) legal.push(item);
    else refused.push({ id: item.id, error: new IllegalTransitionError(item.id, item.from, item.to) });
  }
  return { legal, refused };
}
