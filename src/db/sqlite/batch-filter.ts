/**
 * BatchSelection → SQL for SQLite: preview and apply run the same WHERE clause. Values are
 * always bound parameters; states (validated names) are written as literals so the planner can
 * match partial indexes.
 */
import type { PipelineState } from '../../domain/states.js';
import type { BatchSelection } from '../ops/batches.js';

/** `'a', 'b'` for an IN list of constant strings (our own enums only, never user input). */
export const sqlList = (values: readonly string[]): string => values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');

export interface FilterSql {
  where: string;
  params: Record<string, unknown>;
  /**
   * `INDEXED BY …` for `FROM pipelines`, or ''. The approval queue's type/confidence index is
   * partial on state = 'pending_approval' (so approving a book does not move its entry), and
   * without statistics the planner would not pick it on its own.
   */
  index: string;
}

/** WHERE clause (without the keyword) and its parameters for a validated filter and state set. */
export function filterToSql(filter: BatchSelection, states: readonly PipelineState[]): FilterSql {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  const inList = (prefix: string, values: readonly unknown[]) =>
    values
      .map((v, i) => {
        params[`${prefix}${i}`] = v;
        return `@${prefix}${i}`;
      })
      .join(', ');
  // States are validated names, written as literals so the planner can match partial indexes.
  where.push(states.length === 1 ? `state = '${states[0]}'` : `state IN (${states.map((st) => `'${st}'`).join(', ')})`);
  if (filter.book_types) where.push(`book_type IN (${inList('t', filter.book_types)})`);
  if (filter.min_confidence !== undefined) {
    where.push('confidence >= @min_confidence');
    params.min_confidence = filter.min_confidence;
  }
  if (filter.max_confidence !== undefined) {
    where.push('confidence <= @max_confidence');
    params.max_confidence = filter.max_confidence;
  }
  if (filter.created_before !== undefined) {
    where.push('created_at < @created_before');
    params.created_before = filter.created_before;
  }
  if (filter.created_after !== undefined) {
    where.push('created_at >= @created_after');
    params.created_after = filter.created_after;
  }
  if (filter.path_glob !== undefined) {
    where.push('source_path GLOB @path_glob');
    params.path_glob = filter.path_glob;
  }
  if (filter.priorities) where.push(`priority IN (${inList('p', filter.priorities)})`);
  if (filter.attempts_below !== undefined) {
    where.push('attempts < @attempts_below');
    params.attempts_below = filter.attempts_below;
  }
  if (filter.ids) {
    const ors = filter.ids.map((id, i) => {
      if (id.length === 32) {
        params[`id${i}`] = id;
        return `id = @id${i}`;
      }
      params[`idlo${i}`] = id;
      params[`idhi${i}`] = id + 'g'; // 'g' sorts after every hex digit
      return `(id >= @idlo${i} AND id < @idhi${i})`;
    });
    where.push(`(${ors.join(' OR ')})`);
  }
  const byTypeOrConfidence =
    filter.book_types !== undefined || filter.min_confidence !== undefined || filter.max_confidence !== undefined;
  const approvalQueue = states.length === 1 && states[0] === 'pending_approval' && byTypeOrConfidence && !filter.ids;
  return { where: where.join(' AND '), params, index: approvalQueue ? 'INDEXED BY pipelines_approval_queue' : '' };
}

