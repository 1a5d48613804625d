import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import { digitsOnly, editLine, TextPrompt } from '../../components/TextPrompt.js';
import { NO_KEY, key } from '../helpers/keys.js';
import { lastFrameStripped, sendKeys, typeText, waitForInputReady, waitForText, themed } from '../helpers/ink.js';

const noKey = NO_KEY;
const k = key;

function mount(extra: Partial<Parameters<typeof TextPrompt>[0]> = {}) {
  const onSubmit = vi.fn();
  const onCancel = vi.fn();
  const onChange = vi.fn();
  const i = render(
    themed(<TextPrompt label="Reason" width={60} onSubmit={onSubmit} onCancel={onCancel} onChange={onChange} {...extra} />),
  );
  return { i, onSubmit, onCancel, onChange };
}

describe('TextPrompt', () => {
  it('shows typed text, deletes with Backspace, and submits the final text on Enter', async () => {
    const { i, onSubmit, onChange } = mount();
    await waitForInputReady(i);
    await typeText(i, 'bad scan');
    expect(lastFrameStripped(i)).toContain('Reason: bad scan');
    await sendKeys(i, 'backspace', 'backspace', 'backspace', 'backspace');
    await typeText(i, 'OCR');
    expect(lastFrameStripped(i)).toContain('Reason: bad OCR');
    expect(onChange).toHaveBeenLastCalledWith('bad OCR');
    await sendKeys(i, 'enter');
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalledWith('bad OCR'));
  });

  it('cancels on Esc without submitting', async () => {
    const { i, onSubmit, onCancel } = mount({ initialValue: 'draft' });
    await waitForInputReady(i);
    expect(lastFrameStripped(i)).toContain('Reason: draft');
    await sendKeys(i, 'esc');
    await vi.waitFor(() => expect(onCancel).toHaveBeenCalledTimes(1));
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('keeps only digits for a priority and shows the validation error instead of submitting', async () => {
    const { i, onSubmit } = mount({
      label: 'Priority (1-10)',
      accept: digitsOnly,
      validate: (v) => (Number(v) >= 1 && Number(v) <= 10 ? null : 'Priority must be 1 to 10'),
    });
    await waitForInputReady(i);
    await typeText(i, '1a2');
    expect(lastFrameStripped(i)).toContain('Priority (1-10): 12');
    await sendKeys(i, 'enter');
    await waitForText(i, 'Priority must be 1 to 10');
    expect(onSubmit).not.toHaveBeenCalled();
    await sendKeys(i, 'backspace', 'enter');
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalledWith('1'));
  });

  it('ignores keys while inactive', async () => {
    const { i, onCancel } = mount({ isActive: false });
    await waitForInputReady(i);
    await typeText(i, 'abc');
    await sendKeys(i, 'esc');
    expect(lastFrameStripped(i)).not.toContain('abc');
    expect(onCancel).not.toHaveBeenCalled();
  });
});

describe('editLine', () => {
  it('appends pasted text on one line and honours maxLength', () => {
    expect(editLine('a', 'b\nc', noKey)).toEqual({ kind: 'edit', value: 'ab c' });
    expect(editLine('abc', 'def', noKey, { maxLength: 4 })).toEqual({ kind: 'edit', value: 'abcd' });
    expect(editLine('abcd', 'e', noKey, { maxLength: 4 })).toEqual({ kind: 'ignore' });
  });

  it('clears on Ctrl-U and ignores navigation keys', () => {
    expect(editLine('abc', 'u', k({ ctrl: true }))).toEqual({ kind: 'edit', value: '' });
    expect(editLine('abc', '', k({ upArrow: true }))).toEqual({ kind: 'ignore' });
    expect(editLine('abc', '', k({ tab: true }))).toEqual({ kind: 'ignore' });
  });

  it('deletes whole characters, not UTF-16 halves', () => {
    expect(editLine('書😀', '', k({ delete: true }))).toEqual({ kind: 'edit', value: '書' });
  });
});
