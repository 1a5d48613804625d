/**
 * The MCP list's pages: newest first, or newest in one state first, keyset-paged on the order's
 * own key (state_entered_at with a state, created_at without), so a deep page costs what the
 * first one does. Four shapes (state or not, cursor or not), each prepared once on first use.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db.js';
import { PIPELINE_COLUMNS, type PipelineRow } from '../pipeline-row.js';
import type { PipelinePageQuery } from '../ops/stats.js';

export class PipelinePages {
  private readonly shapes = new Map<string, Statement<Record<string, unknown>, PipelineRow>>();

  constructor(private readonly db: Db) {}

  page(q: PipelinePageQuery): PipelineRow[] {
    const byState = q.state !== undefined;
    const params: Record<string, unknown> = { limit: q.limit };
    if (byState) params.state = q.state;
    if (q.after) {
      params.at = q.after.at;
      params.id = q.after.id;
    }
    return this.statement(byState, q.after !== undefined).all(params);
  }

  private statement(byState: boolean, keyset: boolean): Statement<Record<string, unknown>, PipelineRow> {
    const name = `${byState}:${keyset}`;
    let stmt = this.shapes.get(name);
    if (!stmt) {
      const key = byState ? 'state_entered_at' : 'created_at';
      const where: string[] = [];
      if (byState) where.push('state = @state');
      if (keyset) where.push(`(${key} < @at OR (${key} = @at AND id < @id))`);
      stmt = this.db.prepare(
        `SELECT ${PIPELINE_COLUMNS} FROM pipelines ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY ${key} DESC, id DESC LIMIT @limit`,
      );
      this.shapes.set(name, stmt);
    }
    return stmt;
  }
}
