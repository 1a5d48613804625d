/**
 * Semantic colours and glyphs for the console, and how to pick them from the environment.
 *
 * Components never name a colour or a box-drawing character directly: they ask the theme for
 * a token (`theme.colors.critical`, `theme.glyphs.ellipsis`). That keeps two orthogonal
 * fallbacks in one place:
 *  - colour: `NO_COLOR` gives a theme whose colours are all `undefined`, so Ink emits no colour
 *    codes; components must then still be readable (badges in brackets, a selection pointer).
 *  - glyphs: a non-UTF-8 locale or `AGENTIC_ASCII=1` gives ASCII glyphs, because a terminal (or
 *    tmux) that is not in UTF-8 mode turns `█▁…` into `_` or mojibake.
 *
 * `ThemeProvider` / `useTheme` hand the theme to components; `bin/` calls
 * `detectTheme(process.env)` once and mounts the provider at the root.
 */

import { createContext, createElement, useContext, type ReactNode } from 'react';

/** A colour name Ink understands (`'red'`, `'#ff8800'`, …) or `undefined` for "terminal default". */
export type Colour = string | undefined;

/** What a colour means, never what it looks like. */
export type ColourToken =
  | 'text'
  | 'ok'
  | 'warning'
  | 'critical'
  | 'info'
  | 'muted'
  | 'accent'
  | 'selection'
  | 'border'
  | 'badge';

export type Palette = Readonly<Record<ColourToken, Colour>>;

export interface Glyphs {
  /** True for the ASCII fallback set. */
  readonly ascii: boolean;
  /** Horizontal bar: `full` cell and partial cells from 1/8 to 7/8 (ASCII has no partials). */
  readonly barFull: string;
  readonly barPartials: readonly string[];
  /** Sparkline levels, lowest first. */
  readonly sparkline: readonly string[];
  readonly ellipsis: string;
  /** Range separator in "120–140 of 1,000". */
  readonly rangeDash: string;
  /** Column separator drawn between table columns / status-bar parts. */
  readonly separator: string;
  /** Horizontal rule character. */
  readonly rule: string;
  /** Marks the selected row, so selection is visible without colour. */
  readonly pointer: string;
  readonly bullet: string;
  readonly arrowUp: string;
  readonly arrowDown: string;
  readonly arrowLeft: string;
  readonly arrowRight: string;
  /** Shown by the busy indicator (static: the console draws no spinner). */
  readonly busy: string;
  /** Key caps used in hints: Enter and the Tab/Shift-Tab keys. */
  readonly enterKey: string;
  /** Ink `<Box borderStyle>` value for dialogs and overlays. */
  readonly borderStyle: 'round' | 'single' | 'classic';
}

export interface Theme {
  readonly name: string;
  /** False for the no-colour theme: components must not rely on colour alone. */
  readonly colour: boolean;
  readonly colors: Palette;
  readonly glyphs: Glyphs;
}

export const colourPalette: Palette = {
  text: undefined,
  ok: 'green',
  warning: 'yellow',
  critical: 'red',
  info: 'cyan',
  muted: 'gray',
  accent: 'magenta',
  selection: 'blue',
  border: 'gray',
  badge: 'yellow',
};

/** Every token is `undefined`: Ink writes no colour escape codes at all. */
export const noColourPalette: Palette = {
  text: undefined,
  ok: undefined,
  warning: undefined,
  critical: undefined,
  info: undefined,
  muted: undefined,
  accent: undefined,
  selection: undefined,
  border: undefined,
  badge: undefined,
};

export const unicodeGlyphs: Glyphs = {
  ascii: false,
  barFull: '█',
  barPartials: ['▏', '▎', '▍', '▌', '▋', '▊', '▉'],
  sparkline: ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'],
  ellipsis: '…',
  rangeDash: '–',
  separator: '│',
  rule: '─',
  pointer: '›',
  bullet: '•',
  arrowUp: '↑',
  arrowDown: '↓',
  arrowLeft: '←',
  arrowRight: '→',
  busy: '⋯',
  enterKey: '⏎',
  borderStyle: 'round',
};

export const asciiGlyphs: Glyphs = {
  ascii: true,
  barFull: '#',
  barPartials: [],
  sparkline: ['_', '.', '-', '=', '^'],
  ellipsis: '...',
  rangeDash: '-',
  separator: '|',
  rule: '-',
  pointer: '>',
  bullet: '*',
  arrowUp: '^',
  arrowDown: 'v',
  arrowLeft: '<',
  arrowRight: '>',
  busy: '...',
  enterKey: 'Enter',
  borderStyle: 'classic',
};

export function makeTheme(opts: { colour: boolean; ascii: boolean }): Theme {
  return {
    name: `${opts.colour ? 'colour' : 'no-colour'}/${opts.ascii ? 'ascii' : 'unicode'}`,
    colour: opts.colour,
    colors: opts.colour ? colourPalette : noColourPalette,
    glyphs: opts.ascii ? asciiGlyphs : unicodeGlyphs,
  };
}

/** Colour + Unicode: what `useTheme()` returns when no provider is mounted (tests, stories). */
export const defaultTheme: Theme = makeTheme({ colour: true, ascii: false });

/** https://no-color.org: set and not empty. */
export function wantsNoColour(env: NodeJS.ProcessEnv): boolean {
  return env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
}

/**
 * Whether to draw ASCII glyphs.
 *
 * `AGENTIC_ASCII=1` forces ASCII and `AGENTIC_ASCII=0` forces Unicode. Otherwise the effective
 * character-type locale decides, with POSIX precedence (LC_ALL, then LC_CTYPE, then LANG; the
 * first non-empty one wins). A locale that does not say UTF-8 — including none at all, which
 * POSIX treats as the "C" locale — gets ASCII: tmux and many SSH sessions then really cannot
 * show box-drawing characters, and ASCII is always legible.
 */
export function wantsAscii(env: NodeJS.ProcessEnv): boolean {
  const forced = env['AGENTIC_ASCII'];
  if (forced === '1') return true;
  if (forced === '0') return false;
  const locale = [env['LC_ALL'], env['LC_CTYPE'], env['LANG']].find((v) => v !== undefined && v !== '');
  if (locale === undefined) return true;
  return !/utf-?8/i.test(locale);
}

/** The theme the environment asks for. Pure: pass `process.env` from `bin/`. */
export function detectTheme(env: NodeJS.ProcessEnv): Theme {
  return makeTheme({ colour: !wantsNoColour(env), ascii: wantsAscii(env) });
}

const ThemeContext = createContext<Theme>(defaultTheme);

/** Gives `theme` to every component below. Mount once at the root of the console. */
export function ThemeProvider(props: { theme: Theme; children?: ReactNode }): ReactNode {
  return createElement(ThemeContext.Provider, { value: props.theme }, props.children);
}

/** The current theme; `defaultTheme` (colour, Unicode) when no provider is mounted. */
export function useTheme(): Theme {
  return useContext(ThemeContext);
}
