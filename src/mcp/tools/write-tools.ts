/**
 * The single-book and queueing tools. Each runs the CLI command of the same job (approve,
 * reject, priority, stuck --retry/--reset/--reject, process, batch-queue) in the server with the
 * MCP actor, so every rule, transaction and audit row is the CLI's, and answers with its
 * `--json` document.
 */
import { z } from 'zod';
import { runCommandJson } from '../command-bridge.js';
import { loose, pipelineId, priority, reason } from '../schemas.js';
import { DESTRUCTIVE, WRITE, type ToolSpec } from '../tool-spec.js';

const pipelineResult = loose({ id: z.string(), audit_id: z.number().nullable(), pipeline: loose({ id: z.string(), state: z.string() }) });

const approve: ToolSpec = {
  name: 'approve_pipeline',
  title: 'Approve a pipeline',
  description: 'Approves one book waiting for approval (pending_approval → approved); a worker then embeds it. Audited APPROVED.',
  input: { pipeline_id: pipelineId },
  output: pipelineResult,
  // Approving twice changes nothing more: the second call is refused (the book is no longer pending).
  annotations: { ...WRITE, idempotentHint: true },
  run: (args: { pipeline_id: string }, { services, actor }) => runCommandJson('approve', services, actor(), { input: [args.pipeline_id] }),
};

const reject: ToolSpec = {
  name: 'reject_pipeline',
  title: 'Reject a pipeline',
  description: 'Rejects one book (detected, needs_retry, pending_approval or approved) with a reason; it leaves the pipeline. Audited REJECTED.',
  input: { pipeline_id: pipelineId, reason: reason().describe('why (required; kept in the audit trail)') },
  output: loose({ id: z.string(), before: z.string(), audit_id: z.number(), pipeline: loose({ id: z.string(), state: z.string() }) }),
  annotations: { ...DESTRUCTIVE, idempotentHint: true },
  run: (args: { pipeline_id: string; reason: string }, { services, actor }) =>
    runCommandJson('reject', services, actor(), { input: [args.pipeline_id], flags: { reason: args.reason } }),
};

const setPriority: ToolSpec = {
  name: 'set_pipeline_priority',
  title: 'Set a pipeline priority',
  description: 'Sets one book\'s priority (1 most urgent … 10). Setting the priority it already has changes nothing. Audited PRIORITY_CHANGED.',
  input: { pipeline_id: pipelineId, priority: priority('priority') },
  output: loose({ id: z.string(), before: z.number(), after: z.number(), changed: z.boolean() }),
  annotations: { ...WRITE, idempotentHint: true },
  run: (args: { pipeline_id: string; priority: number }, { services, actor }) =>
    runCommandJson('priority', services, actor(), { input: [args.pipeline_id, String(args.priority)] }),
};

const recover: ToolSpec = {
  name: 'recover_stuck_pipeline',
  title: 'Recover a stuck pipeline',
  description:
    'Recovers one stuck book: retry (→ needs_retry with backoff), reset (start over) or reject (needs reason; takes it out of the pipeline). Revokes its lease first; audited STUCK_RECOVERED. Marked destructive because action "reject" is.',
  input: {
    pipeline_id: pipelineId,
    action: z.enum(['retry', 'reject', 'reset'], { error: (i) => `action '${String(i.input)}' is not a recovery: retry, reject or reset` }).default('retry'),
    reason: reason().optional().describe('why (required for reject)'),
  },
  output: loose({ id: z.string(), action: z.string(), from: z.string().nullable(), to: z.string(), audit_id: z.number() }),
  annotations: DESTRUCTIVE,
  run: (args: { pipeline_id: string; action: 'retry' | 'reject' | 'reset'; reason?: string }, { services, actor }) =>
    runCommandJson('stuck', services, actor(), { flags: { [args.action]: args.pipeline_id, reason: args.reason } }),
};

const filePath = (name: string) => z.string().min(1, `${name} is empty`).max(4096, `${name} is longer than 4096 characters`);

const processFile: ToolSpec = {
  name: 'process_file',
  title: 'Queue one file',
  description: 'Hashes one book file on this machine and queues it (same content already in the pipeline is reported as a duplicate, not queued twice). Audited QUEUED.',
  input: { path: filePath('path').describe('absolute path of the book file'), priority: priority('priority').default(5) },
  output: loose({ id: z.string(), state: z.string(), outcome: z.string(), audit_id: z.number().nullable() }),
  annotations: WRITE,
  run: (args: { path: string; priority: number }, { services, actor }) =>
    runCommandJson('process', services, actor(), { input: [args.path], flags: { priority: args.priority } }),
};

const queueFolder: ToolSpec = {
  name: 'batch_queue_folder',
  title: 'Queue a folder',
  description: 'Queues every supported book file under a folder on this machine (pattern: a glob over paths relative to it). One BATCH_QUEUED audit entry plus one per book.',
  input: {
    path: filePath('path').describe('absolute path of the folder'),
    priority: priority('priority').default(5),
    pattern: z.string().min(1, 'pattern is empty').max(1024, 'pattern is longer than 1024 characters').default('*').describe('glob over paths relative to the folder (default "*")'),
  },
  output: loose({}),
  annotations: WRITE,
  run: (args: { path: string; priority: number; pattern: string }, { services, actor }) =>
    runCommandJson('batch-queue', services, actor(), {
      input: [args.path],
      // '*' is "every file": the command's own default (it matches nested paths too).
      flags: { priority: args.priority, pattern: args.pattern === '*' ? undefined : args.pattern },
    }),
};

export const WRITE_TOOLS: readonly ToolSpec[] = [approve, reject, setPriority, recover, processFile, queueFolder];
