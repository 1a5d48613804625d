/**
 * What one MCP tool is: its name and parameters (zod, shown to the client as JSON Schema), the
 * shape of what it returns, honest annotations, whether it only reads (what --read-only keeps),
 * and the handler that answers with the document.
 */
import type { z } from 'zod';
import type { Services } from '../services.js';
import type { Actor } from '../domain/actor.js';
import type { PreviewTokens } from './preview-tokens.js';

export interface ToolContext {
  services: Services;
  /** `mcp:<client name from the handshake>`, or --actor. Resolved per call: the handshake comes after start-up. */
  actor(): Actor;
  tokens: PreviewTokens;
  /**
   * Asks the person at the client (MCP elicitation) to confirm `message`. 'unsupported' when the
   * client cannot ask; the caller decides whether that is allowed (--confirm-with-human: not).
   */
  confirm(message: string): Promise<'confirmed' | 'declined' | 'unsupported'>;
  /** --confirm-with-human: executions need a person's yes, and fail closed without elicitation. */
  confirmWithHuman: boolean;
}

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolSpec {
  name: string;
  title: string;
  description: string;
  input: z.ZodRawShape;
  output: z.ZodType;
  annotations: ToolAnnotations;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each tool's args are typed by its own zod shape
  run(args: any, ctx: ToolContext): Promise<Record<string, unknown>> | Record<string, unknown>;
}

/** Reads: never change a row, so safe to repeat. */
export const READ: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

/** A change that adds or moves work without taking anything away (approve, queue, retry, priority). */
export const WRITE: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };

/** Takes a book out of the pipeline (reject): the one kind of change a client should ask a person about. */
export const DESTRUCTIVE: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false };
