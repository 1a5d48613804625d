import { render } from 'ink-testing-library';
import { Text } from 'ink';
import { describe, expect, it } from 'vitest';
import { asciiGlyphs, defaultTheme, detectTheme, makeTheme, ThemeProvider, unicodeGlyphs, useTheme } from '../../components/theme.js';
import { lastFrameStripped } from '../helpers/ink.js';

const utf8 = { LANG: 'en_US.UTF-8' };

describe('detectTheme', () => {
  it('colour and Unicode in a UTF-8 locale', () => {
    const t = detectTheme(utf8);
    expect(t.colour).toBe(true);
    expect(t.colors.critical).toBe('red');
    expect(t.glyphs).toBe(unicodeGlyphs);
  });

  it('NO_COLOR (non-empty) gives a theme without any colour', () => {
    const t = detectTheme({ ...utf8, NO_COLOR: '1' });
    expect(t.colour).toBe(false);
    expect(Object.values(t.colors).every((c) => c === undefined)).toBe(true);
    expect(t.glyphs).toBe(unicodeGlyphs); // colour and glyphs are independent
    expect(detectTheme({ ...utf8, NO_COLOR: '' }).colour).toBe(true);
  });

  it('AGENTIC_ASCII=1 gives ASCII glyphs even in a UTF-8 locale; =0 forces Unicode', () => {
    expect(detectTheme({ ...utf8, AGENTIC_ASCII: '1' }).glyphs).toBe(asciiGlyphs);
    expect(detectTheme({ LANG: 'C', AGENTIC_ASCII: '0' }).glyphs).toBe(unicodeGlyphs);
  });

  it('a non-UTF-8 locale gives ASCII, with LC_ALL over LC_CTYPE over LANG', () => {
    expect(detectTheme({ LANG: 'C' }).glyphs).toBe(asciiGlyphs);
    expect(detectTheme({ LANG: 'en_US.ISO-8859-1' }).glyphs).toBe(asciiGlyphs);
    expect(detectTheme({ LANG: 'en_US.UTF-8', LC_ALL: 'POSIX' }).glyphs).toBe(asciiGlyphs);
    expect(detectTheme({ LANG: 'C', LC_CTYPE: 'C.utf8' }).glyphs).toBe(unicodeGlyphs);
    expect(detectTheme({ LANG: 'en_US.UTF-8', LC_ALL: '' }).glyphs).toBe(unicodeGlyphs);
    expect(detectTheme({}).glyphs).toBe(asciiGlyphs); // no locale at all is the C locale
  });

  it('ASCII glyphs are all 7-bit', () => {
    const all = JSON.stringify(asciiGlyphs);
    expect([...all].every((ch) => (ch.codePointAt(0) ?? 0) < 128)).toBe(true);
    expect(asciiGlyphs.sparkline.join('')).toBe('_.-=^');
    expect(asciiGlyphs.ellipsis).toBe('...');
  });
});

describe('ThemeProvider', () => {
  function Probe() {
    const t = useTheme();
    return <Text>{t.name} {t.glyphs.ellipsis}</Text>;
  }

  it('useTheme gives the provided theme, and the default without a provider', () => {
    expect(lastFrameStripped(render(<Probe />))).toBe(`${defaultTheme.name} …`);
    const i = render(
      <ThemeProvider theme={makeTheme({ colour: false, ascii: true })}>
        <Probe />
      </ThemeProvider>,
    );
    expect(lastFrameStripped(i)).toBe('no-colour/ascii ...');
  });
});
