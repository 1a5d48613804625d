/**
 * Typed errors shared by every layer. The CLI maps `InputError` (and its subclasses) to exit
 * code 2 with one line on stderr; anything else is a runtime failure (exit 1).
 */

/** Bad input from the user: unknown flag, value out of range, missing file. Exit 2. */
export class InputError extends Error {
  override name = 'InputError';
}

/** No pipeline matches an id or id prefix. */
export class NotFoundError extends InputError {
  override name = 'NotFoundError';
  constructor(readonly idOrPrefix: string) {
    super(`no pipeline matches id '${idOrPrefix}'`);
  }
}

/** An id prefix matches more than one pipeline. */
export class AmbiguousIdError extends InputError {
  override name = 'AmbiguousIdError';
  constructor(
    readonly prefix: string,
    readonly matches: string[],
  ) {
    super(
      `id prefix '${prefix}' is ambiguous: matches ${matches
        .slice(0, 3)
        .map((id) => id.slice(0, 12))
        .join(', ')}${matches.length > 3 ? ', …' : ''}; give more characters`,
    );
  }
}

/**
 * A transition the state machine forbids, or one whose compare-and-swap lost (the book was no
 * longer in the state the caller saw). Nothing was written.
 */
export class IllegalTransitionError extends InputError {
  override name = 'IllegalTransitionError';
  constructor(
    readonly pipelineId: string,
    readonly from: string,
    readonly to: string,
    detail?: string,
  ) {
    super(
      detail ??
        `cannot move pipeline ${pipelineId.slice(0, 8)} from ${from} to ${to}`,
    );
  }
}

/**
 * A worker's write found that it no longer holds the book's lease (it expired and the book was
 * recovered or claimed by someone else). The worker must abandon the book and write nothing more.
 */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
  constructor(
    readonly pipelineId: string,
    readonly workerId: string,
  ) {
    super(`worker ${workerId} no longer holds the lease on pipeline ${pipelineId.slice(0, 8)}`);
  }
}

/**
 * A stage failed in a way that retrying cannot fix: corrupt, empty or unsupported file. The book
 * goes to `failed` at once; the message must name the cause.
 */
export class PermanentError extends Error {
  override name = 'PermanentError';
  constructor(
    message: string,
    readonly code: string = 'permanent',
  ) {
    super(message);
  }
}

/** A stage failed in a way that may pass on a later attempt (timeout, busy resource). */
export class TransientError extends Error {
  override name = 'TransientError';
  constructor(
    message: string,
    readonly code: string = 'transient',
  ) {
    super(message);
  }
}

export function isInputError(err: unknown): err is InputError {
  return err instanceof InputError;
}
