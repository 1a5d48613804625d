/**
 * Import this FIRST in a test file that asserts on colour codes. chalk (Ink's colours) decides
 * its colour level when it is first imported, and under vitest stdout is not a TTY, so without
 * this every frame is colourless and a "no colour codes" assertion could never fail.
 * vitest runs each test file in its own fork, so this does not leak into other files.
 */
process.env['FORCE_COLOR'] = '1';
delete process.env['NO_COLOR'];
export {};
