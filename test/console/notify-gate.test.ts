/**
 * The Poller holds the stores' notifications while it awaits its feeds, so a refresh that changes
 * Health and the Queue reaches React in one synchronous block (one render), as the synchronous
 * poll did before the engine became async (#14).
 */
import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { createNotifyGate } from '../../store/notify-gate.js';

describe('NotifyGate', () => {
  it('delivers nothing while held, then each listener once, with the state before the first change it missed', () => {
    const gate = createNotifyGate();
    const a = gate.gate(createStore<{ n: number }>(() => ({ n: 0 })));
    const b = gate.gate(createStore<{ s: string }>(() => ({ s: 'x' })));
    const heard: string[] = [];
    a.subscribe((state, prev) => heard.push(`a ${prev.n}→${state.n}`));
    b.subscribe((state, prev) => heard.push(`b ${prev.s}→${state.s}`));

    gate.hold();
    a.setState({ n: 1 });
    a.setState({ n: 2 });
    b.setState({ s: 'y' });
    expect(heard).toEqual([]);
    gate.release();
    expect(heard).toEqual(['a 0→2', 'b x→y']);

    // Not held: as zustand delivers it, at once.
    a.setState({ n: 3 });
    expect(heard).toEqual(['a 0→2', 'b x→y', 'a 2→3']);
  });

  it('nested holds deliver at the outermost release; a release without a hold does nothing', () => {
    const gate = createNotifyGate();
    const a = gate.gate(createStore<{ n: number }>(() => ({ n: 0 })));
    let calls = 0;
    a.subscribe(() => calls++);
    gate.release();
    gate.hold();
    gate.hold();
    a.setState({ n: 1 });
    gate.release();
    expect(calls).toBe(0);
    gate.release();
    expect(calls).toBe(1);
  });
});
