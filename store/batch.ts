/**
 * The Batch tab: a filter form, the preview it produces, and the result of the last apply.
 * The preview object shown is the one handed to `BatchService.apply`, so only the books a person
 * saw can change (a book that moved since is skipped by the service).
 *
 * A preview belongs to the form it was made for (`previewFor`, the very form object): any change
 * to the form drops the preview in the same update, so no key can act on a preview of a filter
 * that is no longer on screen.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { BatchFilter, BatchPreview, BatchResult } from '../src/ops/types.js';
import { BOOK_TYPES, isPipelineState, type PipelineState } from '../src/domain/states.js';
import { sameData } from './equal.js';

export const BATCH_FIELDS = [
  { id: 'bookType', label: 'Book type', hint: `comma-separated: ${BOOK_TYPES.slice(0, 3).join(', ')}, …` },
  { id: 'minConfidence', label: 'Min confidence', hint: '0 to 1, e.g. 0.8' },
  { id: 'maxConfidence', label: 'Max confidence', hint: '0 to 1' },
  { id: 'state', label: 'State', hint: 'e.g. pending_approval' },
  { id: 'pathGlob', label: 'Path glob', hint: 'e.g. /library/tech/*' },
  { id: 'createdAfter', label: 'Created after', hint: 'YYYY-MM-DD or 7d (ago)' },
  { id: 'createdBefore', label: 'Created before', hint: 'YYYY-MM-DD or 2h (ago)' },
  { id: 'maxCount', label: 'Max count', hint: 'refuse above this many books' },
] as const;

export type BatchFieldId = (typeof BATCH_FIELDS)[number]['id'];
export type BatchForm = Readonly<Record<BatchFieldId, string>>;

export const DEFAULT_BATCH_FORM: BatchForm = {
  bookType: '',
  minConfidence: '',
  maxConfidence: '',
  state: 'pending_approval',
  pathGlob: '',
  createdAfter: '',
  createdBefore: '',
  maxCount: '1000',
};

export interface AppliedBatch {
  readonly verb: 'approved' | 'rejected';
  readonly result: BatchResult;
}

export interface BatchState {
  readonly form: BatchForm;
  readonly field: number;
  readonly preview: BatchPreview | null;
  readonly previewError: string | null;
  /** The form `preview` / `previewError` were made for; not `form` (by identity): no preview of what is on screen. */
  readonly previewFor: BatchForm | null;
  readonly applied: AppliedBatch | null;
  setField(index: number): void;
  setValue(id: BatchFieldId, value: string): void;
  /** The outcome of previewing `form` (the form as it was when the preview ran). */
  applyPreview(preview: BatchPreview | null, error: string | null, form: BatchForm): void;
  setApplied(applied: AppliedBatch | null): void;
}

export type BatchStore = StoreApi<BatchState>;

export function createBatchStore(): BatchStore {
  return createStore<BatchState>()((set, get) => ({
    form: DEFAULT_BATCH_FORM,
    field: 0,
    preview: null,
    previewError: null,
    previewFor: null,
    applied: null,
    setField: (index) => {
      const i = Math.max(0, Math.min(BATCH_FIELDS.length - 1, index));
      if (get().field !== i) set({ field: i });
    },
    setValue: (id, value) => {
      // The old preview goes with the old form, in the same update.
      if (get().form[id] !== value) set({ form: { ...get().form, [id]: value }, preview: null, previewError: null, previewFor: null });
    },
    applyPreview: (preview, previewError, form) => {
      const s = get();
      // A preview of a form that has changed since it was read is not shown at all.
      if (form !== s.form) return;
      if (s.previewFor === form && s.previewError === previewError && sameData(s.preview, preview)) return;
      set({ preview, previewError, previewFor: form });
    },
    setApplied: (applied) => set({ applied }),
  }));
}

function parseTime(value: string, now: number, label: string): number {
  const m = /^(\d+)\s*(m|h|d|w)$/i.exec(value.trim());
  if (m) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2]!.toLowerCase() as 'm'];
    return now - Number(m[1]) * unit;
  }
  const t = Date.parse(value.trim());
  if (Number.isNaN(t)) throw new Error(`${label}: use YYYY-MM-DD or an age like 7d`);
  return t;
}

function parseConfidence(value: string, label: string): number {
  const n = Number(value.trim());
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`${label} must be a number from 0 to 1`);
  return n;
}

/**
 * A list field's values; a field that holds only separators or blanks is refused: an empty
 * filter value must never mean "any book" (issue #16.1).
 */
function parseList(value: string, label: string, what: string): string[] | undefined {
  if (value.trim() === '') return undefined;
  const items = value.split(',').map((t) => t.trim());
  if (items.some((t) => t === '')) throw new Error(`${label}: give at least one ${what} (no empty values between commas)`);
  return items;
}

/** True when the preview on screen was made for the form on screen (and so may be acted on). */
export function previewIsCurrent(s: Pick<BatchState, 'form' | 'previewFor' | 'preview'>): boolean {
  return s.preview !== null && s.previewFor === s.form;
}

/** The filter as a person reads it: "state pending_approval, type fiction, confidence ≥ 0.8, max 1,000". */
export function describeBatchFilter(f: BatchFilter): string {
  const parts: string[] = [];
  if (f.states) parts.push(`state ${f.states.join(',')}`);
  if (f.book_types) parts.push(`type ${f.book_types.join(',')}`);
  if (f.min_confidence !== undefined) parts.push(`confidence >= ${f.min_confidence}`);
  if (f.max_confidence !== undefined) parts.push(`confidence <= ${f.max_confidence}`);
  if (f.path_glob !== undefined) parts.push(`path ${f.path_glob}`);
  if (f.created_after !== undefined) parts.push(`created after ${new Date(f.created_after).toISOString().slice(0, 16).replace('T', ' ')}`);
  if (f.created_before !== undefined) parts.push(`created before ${new Date(f.created_before).toISOString().slice(0, 16).replace('T', ' ')}`);
  if (f.max_count !== undefined) parts.push(`max ${f.max_count.toLocaleString('en-US')}`);
  return parts.join(', ');
}

/** The form as a BatchFilter; throws an Error naming the field that is wrong. */
export function formToFilter(form: BatchForm, now: number): BatchFilter {
  const filter: BatchFilter = {};
  const types = parseList(form.bookType, 'Book type', 'type');
  if (types) filter.book_types = types;
  if (form.minConfidence.trim() !== '') filter.min_confidence = parseConfidence(form.minConfidence, 'Min confidence');
  if (form.maxConfidence.trim() !== '') filter.max_confidence = parseConfidence(form.maxConfidence, 'Max confidence');
  const states = parseList(form.state, 'State', 'state') ?? [];
  for (const s of states) if (!isPipelineState(s)) throw new Error(`State: unknown state '${s}'`);
  if (states.length > 0) filter.states = states as PipelineState[];
  if (form.pathGlob.trim() !== '') filter.path_glob = form.pathGlob.trim();
  if (form.createdAfter.trim() !== '') filter.created_after = parseTime(form.createdAfter, now, 'Created after');
  if (form.createdBefore.trim() !== '') filter.created_before = parseTime(form.createdBefore, now, 'Created before');
  if (form.maxCount.trim() !== '') {
    const n = Number(form.maxCount.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error('Max count must be a whole number above 0');
    filter.max_count = n;
  }
  return filter;
}
