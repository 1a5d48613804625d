/**
 * Every one-shot command, loaded lazily so a command pays only for its own imports (and none of
 * them for React/Ink). One file per command under ./commands.
 */
import type { Command } from './command.js';

type Loader = () => Promise<{ default: Command }>;

export const COMMANDS: Record<string, { summary: string; load: Loader }> = {
  init: { summary: 'create or migrate the database', load: () => import('./commands/init.js') },
  process: { summary: 'hash a file and queue it', load: () => import('./commands/process.js') },
  'batch-queue': { summary: 'queue every book under a folder', load: () => import('./commands/batch-queue.js') },
  status: { summary: 'one pipeline with its history', load: () => import('./commands/status.js') },
  list: { summary: 'pipelines, newest first', load: () => import('./commands/list.js') },
  queue: { summary: 'queued work by priority and the next books to be claimed', load: () => import('./commands/queue.js') },
  priority: { summary: 'set the priority of a pipeline', load: () => import('./commands/priority.js') },
  approve: { summary: 'approve a pipeline waiting for approval', load: () => import('./commands/approve.js') },
  reject: { summary: 'reject a pipeline (needs --reason)', load: () => import('./commands/reject.js') },
  rollback: { summary: 'archive a complete book and remove it from the library', load: () => import('./commands/rollback.js') },
  audit: { summary: 'the audit trail, newest first', load: () => import('./commands/audit.js') },
  worker: { summary: 'run a worker that processes queued books', load: () => import('./commands/worker.js') },
  health: { summary: 'pipeline health with alerts', load: () => import('./commands/health.js') },
  stuck: { summary: 'stuck pipelines, and recovery', load: () => import('./commands/stuck.js') },
  'batch-approve': { summary: 'approve books matching a filter (dry run unless --execute)', load: () => import('./commands/batch-approve.js') },
  'batch-reject': { summary: 'reject books matching a filter (dry run unless --execute)', load: () => import('./commands/batch-reject.js') },
  'batch-retry': { summary: 'retry books matching a filter (dry run unless --execute)', load: () => import('./commands/batch-retry.js') },
  'batch-priority': { summary: 're-prioritise books matching a filter (dry run unless --execute)', load: () => import('./commands/batch-priority.js') },
  backup: { summary: 'a verified online copy of the database', load: () => import('./commands/backup.js') },
  restore: { summary: 'verify a backup and put it in place of the database', load: () => import('./commands/restore.js') },
  mcp: { summary: 'an MCP server on stdio for AI assistants (--read-only)', load: () => import('./commands/mcp.js') },
  serve: { summary: 'serve Prometheus metrics and health endpoints over HTTP', load: () => import('./commands/serve.js') },
  maintain: { summary: 'aging, retention, duration statistics, automatic recovery (for cron)', load: () => import('./commands/maintain.js') },
  'migrate-to': { summary: 'copy the SQLite database into an empty PostgreSQL database, verified', load: () => import('./commands/migrate-to.js') },
  completion: { summary: 'print a shell completion script (bash, zsh, fish)', load: () => import('./commands/completion.js') },
};
