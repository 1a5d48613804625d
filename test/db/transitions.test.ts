/**
 * Every legal and every illegal transition of the TRANSITIONS table, generated from the table:
 * a legal move changes the row, writes one history row and moves the counts; an illegal one
 * throws IllegalTransitionError and leaves row, history and counts exactly as they were.
 */
import { describe, expect, it } from 'vitest';
import { STATES, TRANSITIONS, canTransition, type PipelineState } from '../../src/domain/states.js';
import { IllegalTransitionError } from '../../src/domain/errors.js';
import { countsFromTable, countsOf, historyOf, openTest, seed } from './helpers.js';

const legal: [PipelineState, PipelineState][] = [];
const illegal: [PipelineState, PipelineState][] = [];
for (const from of STATES) {
  for (const to of STATES) {
    (TRANSITIONS[from].includes(to) ? legal : illegal).push([from, to]);
  }
}

describe('transition table', () => {
  const s = openTest();

  it('has cases of both kinds, and canTransition agrees with the table', () => {
    expect(legal.length).toBeGreaterThan(30);
    expect(illegal.length).toBe(STATES.length * STATES.length - legal.length);
    for (const [f, t] of legal) expect(canTransition(f, t)).toBe(true);
    for (const [f, t] of illegal) expect(canTransition(f, t)).toBe(false);
  });

  it.each(legal)('legal: %s → %s', (from, to) => {
    const p = seed(s, from);
    s.clockCtl.advance(1500);
    const countsBefore = countsOf(s);
    const after = s.pipelines.transition({ id: p.id, from, to, actor: 'human:tester', note: 'case' });
    expect(after.state).toBe(to);
    expect(after.version).toBe(p.version + 1);
    expect(after.state_entered_at).toBe(s.clock());
    expect(s.pipelines.require(p.id).state).toBe(to);
    const h = historyOf(s, p.id);
    expect(h).toHaveLength(2);
    expect(h[1]).toMatchObject({ from_state: from, to_state: to, actor: 'human:tester', duration_ms: 1500, details: 'case' });
    const countsAfter = countsOf(s);
    const key = (st: string) => `${st}/${p.priority}`;
    expect(countsAfter[key(from)] ?? 0).toBe((countsBefore[key(from)] ?? 0) - 1);
    expect(countsAfter[key(to)] ?? 0).toBe((countsBefore[key(to)] ?? 0) + 1);
    expect(countsOf(s)).toEqual(countsFromTable(s));
  });

  it.each(illegal)('illegal: %s → %s', (from, to) => {
    const p = seed(s, from);
    s.clockCtl.advance(1000);
    const historyBefore = historyOf(s, p.id);
    const countsBefore = countsOf(s);
    expect(() => s.pipelines.transition({ id: p.id, from, to, actor: 'human:tester' })).toThrow(IllegalTransitionError);
    expect(s.pipelines.require(p.id)).toEqual(p);
    expect(historyOf(s, p.id)).toEqual(historyBefore);
    expect(countsOf(s)).toEqual(countsBefore);
  });

  it('refuses a move from a state the book is not in (lost compare-and-swap), writing nothing', () => {
    const p = seed(s, 'pending_approval');
    expect(() => s.pipelines.transition({ id: p.id, from: 'approved', to: 'embedding', actor: 'human:tester' })).toThrow(
      IllegalTransitionError,
    );
    expect(s.pipelines.require(p.id)).toEqual(p);
    expect(historyOf(s, p.id)).toHaveLength(1);
  });

  it('refuses a stale version (a batch previewed the book before it changed)', () => {
    const p = seed(s, 'pending_approval');
    s.pipelines.updateColumns(p.id, 'pending_approval', { priority: 2 }, { actor: 'human:other' });
    expect(() =>
      s.pipelines.transition({ id: p.id, from: 'pending_approval', to: 'approved', actor: 'human:tester', expectedVersion: p.version }),
    ).toThrow(IllegalTransitionError);
    expect(s.pipelines.require(p.id).state).toBe('pending_approval');
  });
});
