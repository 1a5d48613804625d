import { Text } from 'ink';
import type { ReactNode } from 'react';
import { displayWidth, forGlyphs, formatDuration, singleLine, truncate } from './text.js';
import { useTheme, type ColourToken } from './theme.js';

/**
 * The one-line status bar:
 *
 *   [PAUSED] [READ-ONLY] …/books/pipeline.db │ data 3s old │ polled 1s ago │ Priority set to 2
 *
 * Ages are passed in (not timestamps) so the bar is a pure function of its props; the caller
 * decides how often to re-render it. Badges and the data age always show; with a message the
 * poll age (nearly always the data age) gives way to it, the path is cut from the left to at most
 * a quarter of the room, and the message from the right only if it still does not fit: at 80
 * columns a refusal like "approve: refused, no preview of this filter" is read whole.
 */
export interface StatusMessage {
  readonly text: string;
  readonly tone?: ColourToken;
}

export interface StatusBarProps {
  readonly dbPath: string;
  /** Age of the newest data shown (ms), or null before the first load. */
  readonly dataAgeMs: number | null;
  /** Time since the last poll (ms), or null before the first poll. */
  readonly lastPollAgeMs: number | null;
  /** Data older than this is shown in the warning colour (default 30 s). */
  readonly staleAfterMs?: number;
  readonly paused: boolean;
  readonly readOnly: boolean;
  readonly message?: StatusMessage | null;
  readonly width: number;
}

export function StatusBar(props: StatusBarProps): ReactNode {
  const { colors, glyphs } = useTheme();
  const sep = ` ${glyphs.separator} `;
  const badges = [props.paused ? '[PAUSED]' : '', props.readOnly ? '[READ-ONLY]' : ''].filter((b) => b !== '');
  const badgeText = badges.length > 0 ? badges.join(' ') + ' ' : '';
  const data = props.dataAgeMs === null ? 'no data yet' : `data ${formatDuration(props.dataAgeMs)} old`;
  const stale = props.dataAgeMs !== null && props.dataAgeMs > (props.staleAfterMs ?? 30_000);
  const poll = props.lastPollAgeMs === null ? 'not polled' : `polled ${formatDuration(props.lastPollAgeMs)} ago`;
  // Messages can quote stored text (a reason, a file name): never let it drive the terminal.
  const message = forGlyphs(singleLine(props.message?.text ?? ''), glyphs);
  const showPoll = message === '';
  const fixed = displayWidth(badgeText) + displayWidth(sep + data + (showPoll ? sep + poll : ''));
  const rest = Math.max(0, props.width - fixed);
  const dbPath = forGlyphs(props.dbPath, glyphs);
  // The path gets all the room when there is no message, else at most a quarter of it (≥ 12 columns).
  const pathRoom = message === '' ? rest : Math.min(displayWidth(dbPath), Math.max(12, Math.floor(rest * 0.25)));
  const path = truncate(dbPath, Math.min(pathRoom, rest), glyphs.ellipsis, 'start');
  const messageRoom = Math.max(0, rest - displayWidth(path) - displayWidth(sep));
  const shownMessage = message === '' || messageRoom === 0 ? '' : truncate(message, messageRoom, glyphs.ellipsis);
  return (
    <Text wrap="truncate-end">
      {props.paused && (
        <Text bold inverse color={colors.warning}>
          [PAUSED]
        </Text>
      )}
      {props.paused && ' '}
      {props.readOnly && (
        <Text bold inverse color={colors.info}>
          [READ-ONLY]
        </Text>
      )}
      {props.readOnly && ' '}
      <Text color={colors.muted}>{path}</Text>
      <Text color={colors.border}>{sep}</Text>
      <Text color={stale ? colors.warning : colors.muted}>{data}</Text>
      {showPoll && <Text color={colors.border}>{sep}</Text>}
      {showPoll && <Text color={colors.muted}>{poll}</Text>}
      {shownMessage !== '' && <Text color={colors.border}>{sep}</Text>}
      {shownMessage !== '' && <Text color={colors[props.message?.tone ?? 'text']}>{shownMessage}</Text>}
    </Text>
  );
}
