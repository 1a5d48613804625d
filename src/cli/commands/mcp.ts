/**
 * `agentic-pipeline mcp [--db PATH] [--read-only] [--confirm-with-human] [--actor mcp:NAME]`: the MCP server over stdio
 * (src/mcp/). stdout is the protocol channel, so nothing else is ever written there; notices go
 * to stderr. Runs until the client closes stdin (or SIGINT/SIGTERM). Start-up loads only the
 * domain, the store and the SDK: no Ink, React or pdfjs (test/mcp/startup.test.ts checks).
 */
import { createRequire } from 'node:module';
import type { Command } from '../command.js';
import { InputError } from '../../domain/errors.js';
import { parseActor } from '../../domain/actor.js';
import { positionals } from '../util.js';

const USAGE = 'mcp [--db PATH] [--read-only] [--confirm-with-human] [--actor mcp:NAME]';

function packageVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

const command: Command = {
  usage: USAGE,
  summary: `An MCP server on stdin/stdout for AI assistants: health, stuck books, the queue, the audit
trail, and (unless --read-only) approvals, rejections, priorities, recovery, queueing and
batches. Batches are two steps: a dry run returns a preview_token, and execute applies exactly
the previewed books (a client that can ask its user is asked to confirm the count first;
--confirm-with-human makes that mandatory). Changes are audited as mcp:<client name> (or --actor mcp:NAME).`,
  flags: {
    readOnly: { type: 'boolean', default: false, description: 'offer and accept only the read tools (the database is opened read-only)' },
    confirmWithHuman: {
      type: 'boolean',
      default: false,
      description: 'a batch execution needs the person to confirm the exact count (MCP elicitation); refused when the client cannot ask',
    },
  },
  async run(ctx) {
    positionals(ctx, USAGE, []);
    if (ctx.json) throw new InputError('mcp speaks JSON-RPC on stdout already; drop --json');
    const actorFlag = ctx.args.flags.actor as string | undefined;
    const actor = actorFlag !== undefined ? parseActor(actorFlag) : undefined;
    if (actor !== undefined && !actor.startsWith('mcp:')) {
      throw new InputError(`--actor for the MCP server must be mcp:<name> (its changes are always recognisable as an assistant's), got '${actorFlag}'`);
    }
    // stdout carries JSON-RPC frames only: a stray console.log anywhere (ours or a library's)
    // would corrupt the stream for the client, so console output is sent to stderr.
    console.log = console.info = console.debug = console.error;
    const readOnly = Boolean(ctx.args.flags.readOnly);
    const services = await ctx.services({ readonly: readOnly, create: false });
    // The SDK and the tools load only once the database is known to be usable.
    const [{ StdioServerTransport }, { createPipelineMcpServer }] = await Promise.all([
      import('@modelcontextprotocol/sdk/server/stdio.js'),
      import('../../mcp/server.js'),
    ]);
    const server = createPipelineMcpServer({
      services,
      readOnly,
      confirmWithHuman: Boolean(ctx.args.flags.confirmWithHuman),
      version: packageVersion(),
      ...(actor ? { actor } : {}),
    });
    const transport = new StdioServerTransport();
    await new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        process.off('SIGINT', finish);
        process.off('SIGTERM', finish);
        process.stdin.off('end', finish);
        server.close().then(() => resolve(), reject);
      };
      transport.onclose = finish;
      process.stdin.on('end', finish);
      process.on('SIGINT', finish);
      process.on('SIGTERM', finish);
      server.connect(transport).catch(reject);
    });
    return 0;
  },
};

export default command;
