/** A book's state history, oldest first. */
import type { StateHistoryRow } from '../pipeline-row.js';

export type HistoryRow = Omit<StateHistoryRow, 'pipeline_id'>;

export interface HistoryOps {
  forPipeline(pipelineId: string, limit?: number): Promise<HistoryRow[]>;
}
