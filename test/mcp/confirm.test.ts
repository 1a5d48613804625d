/**
 * Elicitation: a batch execution asks the person at the client to confirm the exact count. A
 * decline changes nothing; with --confirm-with-human a client that cannot ask is refused.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { initDb, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { sampleBook, writeTxt } from '../fixtures/books.js';
import { call, dump, startMcp } from './support.js';

let db: string;

beforeAll(() => {
  const dir = tempDir('ap-mcp-confirm-');
  db = initDb(path.join(dir, 'pipeline.db'));
  for (let i = 0; i < 3; i++) {
    expect(runCli(['process', writeTxt(path.join(dir, 'in'), sampleBook(200 + i), { fileName: `b${i}.txt` }), '--db', db]).code).toBe(0);
  }
});

/** A client whose person answers `person.answer` to every question, remembering the questions. */
function askingClient(): { client: Client; asked: string[]; person: { answer: 'yes' | 'no' } } {
  const asked: string[] = [];
  const person = { answer: 'no' as 'yes' | 'no' };
  const client = new Client({ name: 'asking-client', version: '1' }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked.push(String(req.params.message));
    return person.answer === 'yes' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
  });
  return { client, asked, person };
}

describe('confirmation by the person', () => {
  it('asks with the exact count; a decline changes nothing and keeps the token; a yes applies', async () => {
    const asking = askingClient();
    const s = await startMcp(db, [], 'asking-client', {}, [], asking.client);
    try {
      const preview = await call(s, 'batch_set_priority', { priority: 2 });
      const token = preview.doc.preview_token as string;
      const before = dump(db);
      const declined = await call(s, 'batch_set_priority', { priority: 2, execute: true, preview_token: token });
      expect(declined.isError).toBe(true);
      expect(declined.text).toMatch(/declined/);
      expect(asking.asked).toEqual([expect.stringMatching(/^Re-prioritise exactly 3 books to priority 2\?/)]);
      expect(dump(db)).toBe(before);

      asking.person.answer = 'yes';
      const done = await call(s, 'batch_set_priority', { priority: 2, execute: true, preview_token: token });
      expect(done.isError, done.text).toBe(false);
      expect(done.doc.affected).toBe(3);
      expect(asking.asked).toHaveLength(2);
    } finally {
      await s.close();
    }
  });

  it('--confirm-with-human refuses to execute for a client that cannot ask, changing nothing', async () => {
    const s = await startMcp(db, ['--confirm-with-human']);
    try {
      const preview = await call(s, 'batch_set_priority', { priority: 7 });
      expect(preview.isError).toBe(false);
      const before = dump(db);
      const refused = await call(s, 'batch_set_priority', { priority: 7, execute: true, preview_token: preview.doc.preview_token });
      expect(refused.isError).toBe(true);
      expect(refused.text).toMatch(/--confirm-with-human/);
      expect(dump(db)).toBe(before);
    } finally {
      await s.close();
    }
  });
});
