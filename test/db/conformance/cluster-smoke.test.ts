import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { pgAvailable, pgCluster, pgUnavailableReason } from '../../helpers/pg-cluster.js';

describe.skipIf(!pgAvailable())('pg-cluster', () => {
  it('starts a cluster and makes databases from a template', async () => {
    const c = pgCluster();
    const tmpl = await c.createDatabase({ name: 'smoke_tmpl' });
    const a = new pg.Client({ connectionString: tmpl });
    await a.connect();
    await a.query('CREATE TABLE t (x int); INSERT INTO t VALUES (42)');
    await a.end();
    const copy = await c.createDatabase({ template: 'smoke_tmpl' });
    const b = new pg.Client({ connectionString: copy });
    await b.connect();
    const r = await b.query('SELECT x FROM t');
    await b.end();
    expect(r.rows).toEqual([{ x: 42 }]);
  });
});
if (!pgAvailable()) describe.skip(`PostgreSQL: ${pgUnavailableReason()}`, () => {});
