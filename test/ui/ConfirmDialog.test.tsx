import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import { ConfirmDialog, confirmStep, requiresTypedCount } from '../../components/ConfirmDialog.js';
import { key, NO_KEY } from '../helpers/keys.js';
import { lastFrameStripped, sendKeys, typeText, waitForInputReady, waitForText, themed } from '../helpers/ink.js';

function mount(count: number, subject: string, extra: Partial<Parameters<typeof ConfirmDialog>[0]> = {}) {
  const onConfirm = vi.fn();
  const onCancel = vi.fn();
  const i = render(
    themed(<ConfirmDialog action="Reject" subject={subject} count={count} width={70} onConfirm={onConfirm} onCancel={onCancel} destructive {...extra} />),
  );
  return { i, onConfirm, onCancel };
}

describe('ConfirmDialog', () => {
  it('names the action, the book and the exact count; y confirms', async () => {
    const { i, onConfirm } = mount(1, 'book "Moby Dick" (#42)');
    await waitForInputReady(i);
    const frame = lastFrameStripped(i);
    expect(frame).toContain('Reject book "Moby Dick" (#42)?');
    expect(frame).toContain('This affects exactly 1 book.');
    expect(frame).toContain('y/Enter confirm');
    await sendKeys(i, 'y');
    await vi.waitFor(() => expect(onConfirm).toHaveBeenCalledTimes(1));
  });

  it('Enter confirms and n or Esc cancel below the threshold', async () => {
    const a = mount(100, 'books in state failed');
    await waitForInputReady(a.i);
    await sendKeys(a.i, 'enter');
    await vi.waitFor(() => expect(a.onConfirm).toHaveBeenCalledTimes(1));

    const b = mount(3, 'books in state failed');
    await waitForInputReady(b.i);
    await sendKeys(b.i, 'n');
    await vi.waitFor(() => expect(b.onCancel).toHaveBeenCalledTimes(1));

    const c = mount(3, 'books in state failed');
    await waitForInputReady(c.i);
    await sendKeys(c.i, 'esc');
    await vi.waitFor(() => expect(c.onCancel).toHaveBeenCalledTimes(1));
    expect(b.onConfirm).not.toHaveBeenCalled();
    expect(c.onConfirm).not.toHaveBeenCalled();
  });

  it('over the threshold, y does nothing and the typed count must match', async () => {
    const { i, onConfirm } = mount(1234, 'books in state failed');
    await waitForInputReady(i);
    expect(lastFrameStripped(i)).toContain('This affects exactly 1,234 books.');
    expect(lastFrameStripped(i)).toContain('Type 1234 and press Enter to confirm.');
    await sendKeys(i, 'y', 'enter');
    expect(onConfirm).not.toHaveBeenCalled();
    await waitForText(i, 'Type 1234 to confirm');

    await typeText(i, '1243');
    expect(lastFrameStripped(i)).toContain('> 1243');
    await sendKeys(i, 'enter');
    await waitForText(i, '1243 is not the count');
    expect(onConfirm).not.toHaveBeenCalled();

    await sendKeys(i, 'backspace', 'backspace');
    await typeText(i, '34');
    await sendKeys(i, 'enter');
    await vi.waitFor(() => expect(onConfirm).toHaveBeenCalledTimes(1));
  });

  it('accepts the count written with separators', () => {
    const step = confirmStep({ typed: '1,234', error: null }, '', key({ return: true }), { count: 1234 });
    expect(step).toEqual({ kind: 'confirm' });
  });

  it('the threshold is configurable and strict ("over", not "at")', () => {
    expect(requiresTypedCount(100)).toBe(false);
    expect(requiresTypedCount(101)).toBe(true);
    expect(requiresTypedCount(11, 10)).toBe(true);
    expect(confirmStep({ typed: '', error: null }, 'y', NO_KEY, { count: 11, typeThreshold: 10 })).toEqual({ kind: 'ignore' });
  });
});
