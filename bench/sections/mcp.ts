/**
 * The MCP server over stdio on the big database: `get_pipeline_health` round trips (p50 of 100
 * calls through the SDK Client and the real `agentic-pipeline mcp` process) next to the
 * in-process health report they wrap, and the server's start-up to its first answer (spawn,
 * handshake, first health call). Goal: a round trip costs at most 2x the report plus 2 ms.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createServices } from '../../src/services.js';
import { median, type BenchContext, type BenchResult } from '../types.js';

const HERE = path.dirname(fileURLToPath(import.meta.url)); // dist/bench/sections
const CLI = path.resolve(HERE, '../../bin/agentic-pipeline.js');
const CALLS = 100;
const STARTS = 5;

const round = (ms: number) => Math.round(ms * 100) / 100;

async function connect(db: string): Promise<Client> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--db', db], stderr: 'ignore' });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  return client;
}

async function health(client: Client): Promise<void> {
  const r = await client.callTool({ name: 'get_pipeline_health', arguments: {} });
  if (r.isError) throw new Error(`get_pipeline_health failed: ${JSON.stringify(r.content)}`);
}

export default async function mcpSection(ctx: BenchContext): Promise<BenchResult[]> {
  const services = createServices(ctx.dbPath, { opsConfig: {} });
  const inProcess: number[] = [];
  try {
    await services.ops.health.report(); // warm the page cache and the statements
    for (let i = 0; i < CALLS; i++) {
      const t0 = performance.now();
      await services.ops.health.report();
      inProcess.push(performance.now() - t0);
    }
  } finally {
    services.close();
  }
  const report = round(median(inProcess));

  const starts: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const t0 = performance.now();
    const client = await connect(ctx.dbPath);
    await health(client);
    starts.push(performance.now() - t0);
    await client.close();
  }

  const client = await connect(ctx.dbPath);
  const trips: number[] = [];
  try {
    await health(client);
    for (let i = 0; i < CALLS; i++) {
      const t0 = performance.now();
      await health(client);
      trips.push(performance.now() - t0);
    }
  } finally {
    await client.close();
  }
  const trip = round(median(trips));
  ctx.log(`health in process p50 ${report} ms; over stdio p50 ${trip} ms; start-up to first answer ${Math.round(median(starts))} ms`);
  return [
    { name: 'health report in process (p50)', value: report, unit: 'ms', note: `p50 of ${CALLS}` },
    { name: 'get_pipeline_health over stdio (p50)', value: trip, unit: 'ms', goal: `<= ${round(2 * report + 2)}`, note: `p50 of ${CALLS} round trips, SDK Client ↔ agentic-pipeline mcp; goal 2x in-process + 2 ms` },
    { name: 'mcp start-up to first answer', value: Math.round(median(starts)), unit: 'ms', note: `median of ${STARTS}: spawn, initialize, first get_pipeline_health` },
  ];
}
