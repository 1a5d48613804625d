/**
 * chalk (Ink's colours) ignores `NO_COLOR` (https://no-color.org), but honours `FORCE_COLOR=0`:
 * map one to the other. chalk fixes its colour level the moment it is first imported, so `bin/`
 * calls this before the console (Ink, chalk) is loaded; this module imports nothing for that
 * reason. An explicit `FORCE_COLOR` wins. Returns whether colour was turned off.
 */
export function applyNoColor(env: NodeJS.ProcessEnv = process.env): boolean {
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  if (!noColor || env['FORCE_COLOR'] !== undefined) return false;
  env['FORCE_COLOR'] = '0';
  return true;
}
