/**
 * `/metrics` on the big database: the real HTTP server (in this process, loopback), a scrape
 * taken 50 times with the 1 s snapshot cache off so each one reads the database, p50 and p95 of
 * the request time (goal p50 <= 20 ms at 1M pipelines), and the scrape's size in bytes.
 */
import http from 'node:http';
import { median, type BenchContext, type BenchResult } from '../types.js';
import { createServeApp } from '../../src/metrics/serve-app.js';
import { listen } from '../../src/metrics/http.js';

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

export default async function metricsSection(ctx: BenchContext): Promise<BenchResult[]> {
  const app = createServeApp({ dbPath: ctx.dbPath, snapshotTtlMs: 0 });
  const server = await listen(app.routes, '127.0.0.1', 0);
  try {
    const first = await get(server.port, '/metrics'); // open the connection, warm the statements
    const books = /^agentic_pipeline_books\{/gm;
    ctx.log(`${(first.match(books) ?? []).length} book series, ${first.length} bytes`);
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      const body = await get(server.port, '/metrics');
      samples.push(performance.now() - t0);
      bytes = Buffer.byteLength(body);
    }
    samples.sort((a, b) => a - b);
    const p95 = samples[Math.floor(samples.length * 0.95)]!;
    return [
      { name: '/metrics scrape (p50 of 50, no cache)', value: Math.round(median(samples) * 100) / 100, unit: 'ms', goal: '<= 20', note: `p95 ${p95.toFixed(2)} ms, ${ctx.pipelines} pipelines, HTTP over loopback` },
      { name: '/metrics scrape size', value: bytes, unit: 'bytes', note: 'Prometheus text format, default process metrics included' },
    ];
  } finally {
    await server.close();
    app.close();
  }
}
