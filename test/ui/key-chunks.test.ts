/** One terminal read holding several keys is split into those keys, in order. */
import { describe, expect, it } from 'vitest';
import { splitKeys } from '../../components/key-chunks.js';
import { key, NO_KEY } from '../helpers/keys.js';

const names = (input: string) =>
  splitKeys(input, NO_KEY).map((e) => (e.key.return ? '<enter>' : e.key.tab ? '<tab>' : e.key.delete ? '<bksp>' : e.key.ctrl ? `^${e.input}` : e.input));

describe('splitKeys', () => {
  it('keeps a single key and keys Ink already parsed as they are', () => {
    expect(splitKeys('j', NO_KEY)).toEqual([{ input: 'j', key: NO_KEY, text: false }]);
    const down = key({ downArrow: true });
    expect(splitKeys('', down)).toEqual([{ input: '', key: down, text: false }]);
  });

  it('splits control bytes out of a run and keeps the printable text between them whole', () => {
    expect(names('*/batch2/*\r')).toEqual(['*/batch2/*', '<enter>']);
    expect(names('/p3\r')).toEqual(['/p3', '<enter>']);
    expect(names('ab\u007fc\tq')).toEqual(['ab', '<bksp>', 'c', '<tab>', 'q']);
    expect(names('\u0015moby\r')).toEqual(['^u', 'moby', '<enter>']);
    const run = splitKeys('jjjjj', NO_KEY);
    expect(run).toHaveLength(1);
    expect(run[0]).toMatchObject({ input: 'jjjjj', text: true });
  });
});
