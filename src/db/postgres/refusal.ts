/**
 * Why a transition may not happen, as the typed error the SQLite store throws (PipelineStore's
 * private `refusal`, same checks in the same order). Domain rules, not SQL: the lead may lift
 * this into a shared src/db module both engines import (see the #15 report).
 */
import type { PipelineRow } from '../pipeline-row.js';
import type { PipelineState } from '../../domain/states.js';
import { canTransition } from '../../domain/states.js';
import { IllegalTransitionError, LeaseLostError } from '../../domain/errors.js';

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
