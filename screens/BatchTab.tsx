/**
 * Batch: a filter form beside the preview it produces. The preview updates as the form changes;
 * `a`/`x` approve or reject exactly the previewed books after a confirmation naming the count.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { fitCell, truncate } from '../components/text.js';
import { formatCount } from '../src/text/format.js';
import { DEFAULT_BATCH_MAX_COUNT } from '../src/domain/batch-limits.js';
import { useTheme } from '../components/theme.js';
import { useBatch } from '../store/context.js';
import { BATCH_FIELDS } from '../store/batch.js';
import { formatConfidence, shortId } from '../src/cli/format.js';
import { escapeControl } from '../src/text/escape.js';
import { plural } from '../src/text/format.js';

const FORM_WIDTH = 36;

export function BatchTab(props: { width: number; height: number }): ReactNode {
  const formW = Math.min(FORM_WIDTH, Math.floor(props.width / 2));
  const previewW = Math.max(10, props.width - formW - 2);
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Box height={Math.max(1, props.height - 2)}>
        <Form width={formW} />
        <Box width={2} />
        <Preview width={previewW} height={Math.max(1, props.height - 2)} />
      </Box>
      <Result width={props.width} />
    </Box>
  );
}

function Form(props: { width: number }): ReactNode {
  const form = useBatch((s) => s.form);
  const field = useBatch((s) => s.field);
  const { colors, glyphs } = useTheme();
  const labelW = 15;
  const valueW = Math.max(1, props.width - labelW - 2);
  return (
    <Box flexDirection="column" width={props.width}>
      <Text bold>Filter</Text>
      {BATCH_FIELDS.map((f, i) => {
        const selected = i === field;
        const value = form[f.id];
        return (
          <Text key={f.id} inverse={selected} wrap="truncate-end">
            {selected ? fitCell(glyphs.pointer, 2, '') : '  '}
            <Text color={colors.muted}>{fitCell(f.label, labelW, glyphs.ellipsis)}</Text>
            {/* Unset is not "any": an unset State means the operation's default (pending_approval). */}
            {value === '' ? <Text color={colors.muted}>{fitCell('not set', valueW, glyphs.ellipsis)}</Text> : fitCell(escapeControl(value), valueW, glyphs.ellipsis)}
          </Text>
        );
      })}
    </Box>
  );
}

function Preview(props: { width: number; height: number }): ReactNode {
  const preview = useBatch((s) => s.preview);
  const error = useBatch((s) => s.previewError);
  const current = useBatch((s) => s.previewFor !== null && s.previewFor === s.form);
  const { colors, glyphs } = useTheme();
  if (!current) {
    return (
      <Box flexDirection="column" width={props.width}>
        <Text bold>Preview</Text>
        <Text color={colors.warning} wrap="wrap">
          The form changed: no preview of it yet, nothing can be approved or rejected.
        </Text>
      </Box>
    );
  }
  if (error) {
    return (
      <Box flexDirection="column" width={props.width}>
        <Text bold>Preview: none</Text>
        <Text color={colors.critical} wrap="wrap">
          {escapeControl(error)}
        </Text>
        <Text color={colors.warning}>Nothing can be approved or rejected.</Text>
      </Box>
    );
  }
  if (!preview) {
    return (
      <Box width={props.width}>
        <Text color={colors.muted}>Preview: reading…</Text>
      </Box>
    );
  }
  const rows = preview.books.slice(0, Math.max(0, props.height - 2));
  const more = preview.matched - rows.length;
  const headline = preview.exceeds_max
    ? `${plural(preview.matched, 'book')} match: over max count ${formatCount(preview.filter.max_count ?? DEFAULT_BATCH_MAX_COUNT)}, refused`
    : `${plural(preview.matched, 'book')} match`;
  const pathW = Math.max(4, props.width - 8 - 1 - 4 - 1 - 16 - 1);
  return (
    <Box flexDirection="column" width={props.width}>
      <Text bold wrap="truncate-end" color={preview.exceeds_max ? colors.warning : undefined}>
        Preview: {headline}
      </Text>
      {rows.map((b) => (
        <Text key={b.id} wrap="truncate-end">
          {shortId(b.id)} {fitCell(formatConfidence(b.confidence), 4, '', 'right')}{' '}
          <Text color={colors.muted}>{fitCell(b.book_type ?? '-', 16, glyphs.ellipsis)}</Text>{' '}
          {truncate(escapeControl(b.source_path), pathW, glyphs.ellipsis, 'start')}
        </Text>
      ))}
      {more > 0 && <Text color={colors.muted}>… and {formatCount(more)} more</Text>}
    </Box>
  );
}

function Result(props: { width: number }): ReactNode {
  const [applied] = useBatch(useShallow((s) => [s.applied]));
  const { colors, glyphs } = useTheme();
  if (!applied) return <Text color={colors.muted}>Edit the filter (Enter), then a approve or x reject the previewed books.</Text>;
  const r = applied.result;
  const text = `Last batch: ${applied.verb} ${plural(r.affected, 'book')}, ${r.skipped.length} skipped, audit #${r.audit_id ?? '-'}`;
  return (
    <Text color={colors.ok} wrap="truncate-end">
      {truncate(text, props.width, glyphs.ellipsis)}
    </Text>
  );
}
