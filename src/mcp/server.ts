/**
 * The MCP server: the product's interface for AI assistants, over the same domain services as
 * the CLI and the console. Registers the tools (only the read ones with readOnly), answers each
 * call with its document as structuredContent and the same JSON as text, and turns a refusal
 * into an `isError` result with one sentence (the SDK does the same for schema violations).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Services } from '../services.js';
import type { Actor } from '../domain/actor.js';
import { parseActor } from '../domain/actor.js';
import { escapeControl } from '../text/escape.js';
import { PreviewTokens } from './preview-tokens.js';
import { capDocument } from './bounded.js';
import type { ToolContext, ToolSpec } from './tool-spec.js';
import { READ_TOOLS } from './tools/read-tools.js';
import { WRITE_TOOLS } from './tools/write-tools.js';
import { BATCH_TOOLS } from './tools/batch-tools.js';

export const ALL_TOOLS: readonly ToolSpec[] = [...READ_TOOLS, ...WRITE_TOOLS, ...BATCH_TOOLS];

export interface McpServerOptions {
  services: Services;
  readOnly: boolean;
  /** --confirm-with-human: batch executions need a person's yes through elicitation; fail closed without it. */
  confirmWithHuman?: boolean;
  /** --actor; else `mcp:<client name from the handshake>`. */
  actor?: Actor;
  version: string;
  /**
   * Where each call is recorded (one JSON line: tool, actor, outcome, ms). Changes are in the
   * audit table; reads are not (a health poll every few seconds would bury the trail), so this
   * line is what answers "which assistant asked what". Default: stderr (stdout is the protocol).
   */
  logCall?: (line: string) => void;
}

/** A client's self-chosen name as an actor: `mcp:` and the name with anything outside [A-Za-z0-9._-] made '-'. */
export function actorForClient(name: string | undefined): Actor {
  const clean = (name ?? '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100);
  return parseActor(`mcp:${clean || 'unknown-client'}`);
}

/** One yes/no question to the person through elicitation: only an explicit accept with confirm true is a yes. */
async function askPerson(server: McpServer, message: string): Promise<'confirmed' | 'declined' | 'unsupported'> {
  if (!server.server.getClientCapabilities()?.elicitation) return 'unsupported';
  const r = await server.server.elicitInput({
    message,
    requestedSchema: {
      type: 'object',
      properties: { confirm: { type: 'boolean', title: 'Apply', description: 'Yes, apply exactly this batch' } },
      required: ['confirm'],
    },
  });
  return r.action === 'accept' && r.content?.confirm === true ? 'confirmed' : 'declined';
}

export function createPipelineMcpServer(options: McpServerOptions): McpServer {
  const server = new McpServer({ name: 'agentic-pipeline', version: options.version });
  const logCall = options.logCall ?? ((line: string) => void process.stderr.write(line + '\n'));
  const ctx: ToolContext = {
    services: options.services,
    tokens: new PreviewTokens(options.services.clock),
    actor: () => options.actor ?? actorForClient(server.server.getClientVersion()?.name),
    confirmWithHuman: options.confirmWithHuman ?? false,
    confirm: (message) => askPerson(server, message),
  };
  for (const tool of ALL_TOOLS) {
    // Read-only: mutations are not listed, and a call to one is answered "not found" by the SDK.
    if (options.readOnly && !tool.annotations.readOnlyHint) continue;
    server.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: tool.input, outputSchema: tool.output as never, annotations: { title: tool.title, ...tool.annotations } },
      (async (args: unknown) => {
        const started = Date.now();
        const record = (outcome: 'ok' | 'error', error?: string) =>
          logCall(JSON.stringify({ at: new Date(started).toISOString(), msg: 'mcp call', tool: tool.name, actor: ctx.actor(), outcome, ms: Date.now() - started, ...(error ? { error } : {}) }));
        try {
          const doc = capDocument(await tool.run(args ?? {}, ctx));
          record('ok');
          return { structuredContent: doc, content: [{ type: 'text' as const, text: JSON.stringify(doc) }] };
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          record('error', message);
          // One line: a message quoting stored text must not carry a newline or an escape into the client.
          return { isError: true, content: [{ type: 'text' as const, text: escapeControl(message) }] };
        }
      }) as never,
    );
  }
  return server;
}
