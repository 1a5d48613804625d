/**
 * A book's stored error (`pipelines.error_json`) as one sentence for a person, shared by the CLI
 * (`status`) and the console. Every writer of error_json (the failure policy, validation, lease
 * rescue, stuck recovery) stores a JSON document with a `message` that is already a sentence and
 * usually a `stage`; this says where it happened and whether a retry is coming, and never shows
 * JSON. `--json` output keeps the structured document.
 */
import { escapeControl } from './control-chars.js';

interface ErrorDocument {
  readonly message?: unknown;
  readonly stage?: unknown;
  readonly code?: unknown;
  readonly attempt?: unknown;
  readonly max_attempts?: unknown;
  readonly permanent?: unknown;
}

/**
 * `validation failed with strategy 'conservative': only 89 words, …` or, for a message that does
 * not name its stage, `hashing: file vanished (attempt 2 of 5)`. Null when there is no error.
 * Control characters in stored text are shown escaped; a document that is not JSON is shown as
 * its text on one line.
 */
export function errorSentence(errorJson: string | null | undefined): string | null {
  if (errorJson === null || errorJson === undefined || errorJson.trim() === '') return null;
  let doc: ErrorDocument;
  try {
    const parsed: unknown = JSON.parse(errorJson);
    if (parsed === null || typeof parsed !== 'object') return oneLine(String(parsed));
    doc = parsed as ErrorDocument;
  } catch {
    return oneLine(errorJson);
  }
  const message = typeof doc.message === 'string' && doc.message.trim() !== '' ? doc.message : typeof doc.code === 'string' ? doc.code.replace(/_/g, ' ') : 'unknown error';
  const stage = typeof doc.stage === 'string' ? doc.stage : null;
  const where = stage !== null && !namesStage(message, stage) ? `${stage}: ` : '';
  const attempt =
    typeof doc.attempt === 'number' && typeof doc.max_attempts === 'number' && !/attempts?/i.test(message)
      ? ` (attempt ${doc.attempt} of ${doc.max_attempts}${doc.permanent === true ? ', will not be retried' : ''})`
      : '';
  return oneLine(`${where}${message}${attempt}`);
}

/** The message already says where it happened ("validation failed" from the validating stage). */
function namesStage(message: string, stage: string): boolean {
  const m = message.toLowerCase();
  const root = stage.toLowerCase().replace(/_/g, ' ').slice(0, 6);
  return m.includes(stage.toLowerCase()) || m.includes(root);
}

function oneLine(s: string): string {
  return escapeControl(s.replace(/\s*\n\s*/g, ' ').trim());
}
