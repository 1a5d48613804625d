/**
 * `serve`: the read-only HTTP endpoint for unattended operation: Prometheus metrics from the
 * database at scrape time, liveness, readiness and the health report (see ../../metrics/).
 * Runs until SIGINT/SIGTERM: readiness turns 503 first, then the listener closes and the
 * process exits 0. The bound address is said on stderr (`--listen 127.0.0.1:0` takes a free port).
 */
import type { Command } from '../command.js';
import { InputError } from '../../domain/errors.js';
import { CONFIG_FLAG, opsFor } from '../ops-support.js';
import { listen, parseListen } from '../../metrics/http.js';
import { createServeApp } from '../../metrics/serve-app.js';

export const DEFAULT_LISTEN = '127.0.0.1:9464';

const command: Command = {
  usage: 'serve [--listen HOST:PORT] [--config PATH] [--json]',
  summary: `Serve metrics and health over HTTP (read-only) until SIGINT/SIGTERM:
GET /metrics (Prometheus text format), /health/live (the process answers), /health/ready (the
database opens, answers and has the current schema; 503 otherwise or while stopping) and
/health (the health --json document; 503 when unhealthy). Default --listen ${DEFAULT_LISTEN}.
With --json, stdout gets one document saying where it listens.`,
  flags: {
    listen: { type: 'string', description: `address to listen on (default ${DEFAULT_LISTEN}; port 0 picks a free one)` },
    ...CONFIG_FLAG,
  },
  async run(ctx) {
    if (ctx.args.input.length > 0) throw new InputError(`serve takes no arguments, got '${ctx.args.input[0]}'`);
    const { host, port } = parseListen('listen', (ctx.args.flags.listen as string | undefined) ?? DEFAULT_LISTEN);
    // Open the database (read-only: serve never writes, nor migrates) and its ops config now: a
    // mistyped --db or a bad config section is an error at start, not a 503 found by a probe.
    await ctx.services({ readonly: true, create: false });
    await opsFor(ctx);
    const configFile = (ctx.args.flags.config as string | undefined) ?? ctx.env.AGENTIC_PIPELINE_CONFIG;
    const app = createServeApp({ dbPath: ctx.dbPath, ...(configFile ? { configFile } : {}) });
    const server = await listen(app.routes, host, port);
    ctx.out.warn(`agentic-pipeline serve: listening on http://${server.address} (/metrics, /health/live, /health/ready, /health)`);
    // With --json, the one document is where it listens (a script that asked for port 0 learns it).
    ctx.out.json({ listening: `http://${server.address}`, port: server.port, paths: Object.keys(app.routes) });
    await new Promise<void>((resolve) => {
      const stop = (sig: NodeJS.Signals) => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        ctx.out.warn(`agentic-pipeline serve: ${sig} received, stopping`);
        app.shutDown();
        void server.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    app.close();
    return 0;
  },
};

export default command;
