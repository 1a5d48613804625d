/**
 * Control characters in stored text, made visible for human output (CLI, console, MCP text).
 * The rule lives in src/domain/control-chars.ts, because the domain applies it too (an actor or
 * a reason with a control character is refused, and error messages show the value escaped);
 * output code and components import it from here, beside the other text helpers.
 */
export { escapeControl, hasControl } from '../domain/control-chars.js';
