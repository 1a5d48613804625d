/** Stored errors read as sentences, in the console and in `status`; `--json` keeps the document. */
import { describe, expect, it } from 'vitest';
import { errorSentence } from '../../src/domain/error-text.js';

describe('errorSentence', () => {
  it('a validation rejection is its message, no JSON', () => {
    const doc = JSON.stringify({
      code: 'validation_failed',
      stage: 'validating',
      message: "validation failed with strategy 'conservative': only 89 words, conservative strategy wants 100",
      failures: ['only 89 words'],
    });
    expect(errorSentence(doc)).toBe("validation failed with strategy 'conservative': only 89 words, conservative strategy wants 100");
  });

  it('a stage failure names its stage and attempt when the message does not', () => {
    const doc = JSON.stringify({ code: 'io', cause_code: 'io', stage: 'hashing', message: 'file vanished', attempt: 2, max_attempts: 5, permanent: false, at: 1 });
    expect(errorSentence(doc)).toBe('hashing: file vanished (attempt 2 of 5)');
  });

  it('control characters are shown escaped and text that is not JSON is kept on one line', () => {
    expect(errorSentence(JSON.stringify({ message: 'bad \u001b]0;title\u0007 name' }))).toBe('bad \\x1b]0;title\\x07 name');
    expect(errorSentence('plain\ntext')).toBe('plain text');
    expect(errorSentence(null)).toBeNull();
  });
});
