/**
 * State lists written as SQL, for queries that must repeat the condition of a partial index
 * word for word (the planner uses a partial index only then). Computed from the domain; the
 * migrations that created those indexes write the same lists out literally, and
 * test/db/migrations-frozen.test.ts checks that the two still agree.
 */
import { WORKING_STATES } from '../domain/states.js';

const sqlList = (states: readonly string[]): string => states.map((s) => `'${s}'`).join(', ');

/** The working states, as in the partial index state_history_learning (migration 4). */
export const workingList = sqlList(WORKING_STATES);
