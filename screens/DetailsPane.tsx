/** Details of one row (a book or an audit entry), in place of the list; Esc goes back. */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { KeyValueList } from '../components/KeyValueList.js';
import { truncate } from '../components/text.js';
import { useTheme } from '../components/theme.js';
import type { Details } from '../store/ui.js';

export function DetailsPane(props: { details: Details; width: number; height: number }): ReactNode {
  const { colors, glyphs } = useTheme();
  const items = props.details.items.slice(0, Math.max(0, props.height - 2));
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Text bold color={colors.accent}>
        {truncate(props.details.title, props.width, glyphs.ellipsis)}
      </Text>
      <KeyValueList items={items} width={props.width} />
      <Text color={colors.muted}>Esc back</Text>
    </Box>
  );
}
