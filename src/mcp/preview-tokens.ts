/**
 * Preview tokens: the two-step batch's proof that an execution applies exactly what a preview
 * showed. A token names one preview's (id, version) set, its operation and filter, and expires
 * after TOKEN_TTL_MS. Tokens live in this server process only: one from another process, another
 * filter or operation, or an earlier execution is refused ("foreign"), so an assistant cannot
 * execute a different set from the one it showed the person.
 *
 * The token is an HMAC (per-process random key) over the binding and the set, so it cannot be
 * guessed or forged, and redeeming recomputes it: a stored preview is only ever applied under the
 * binding it was issued for.
 */
import crypto from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { InputError } from '../domain/errors.js';
import type { BatchPreview } from '../ops/types.js';

export const TOKEN_TTL_MS = 10 * 60 * 1000;

/** Outstanding previews kept at most (oldest dropped first): an assistant looping on previews cannot grow memory. */
const MAX_OUTSTANDING = 1000;

interface Issued {
  binding: string;
  preview: BatchPreview;
  expiresAt: number;
}

export class PreviewTokens {
  private readonly key = crypto.randomBytes(32);
  private readonly issued = new Map<string, Issued>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = TOKEN_TTL_MS,
  ) {}

  /** A token for this preview under `binding` (the tool, its operation and its filter, canonical). */
  issue(binding: string, preview: BatchPreview): { token: string; expires_at: number } {
    const now = this.clock();
    for (const [t, v] of this.issued) {
      if (v.expiresAt <= now || this.issued.size >= MAX_OUTSTANDING) this.issued.delete(t);
      else break; // insertion order is expiry order
    }
    const expiresAt = now + this.ttlMs;
    const token = this.sign(binding, preview, expiresAt);
    this.issued.set(token, { binding, preview, expiresAt });
    return { token, expires_at: expiresAt };
  }

  /**
   * The preview `token` was issued for, if it was issued here for this binding and has not
   * expired or been used; the token stays valid (a person may be asked before it is spent).
   */
  check(token: string, binding: string): BatchPreview {
    const entry = this.issued.get(token);
    if (!entry || entry.binding !== binding || this.sign(binding, entry.preview, entry.expiresAt) !== token) {
      throw new InputError(
        'preview_token is foreign: it was not issued by this server for this operation and filter (or was already used); run the same call without execute to get one',
      );
    }
    if (this.clock() >= entry.expiresAt) {
      this.issued.delete(token);
      throw new InputError('preview_token has expired (tokens last 10 minutes); preview again without execute');
    }
    return entry.preview;
  }

  /** check(), then spend the token: single use, even when applying later skips books. */
  redeem(token: string, binding: string): BatchPreview {
    const preview = this.check(token, binding);
    this.issued.delete(token);
    return preview;
  }

  private sign(binding: string, preview: BatchPreview, expiresAt: number): string {
    const set = preview.books.map((b) => `${b.id}:${b.version}`).join(',');
    return 'pt_' + crypto.createHmac('sha256', this.key).update(`${binding}\n${expiresAt}\n${set}`).digest('base64url');
  }
}
