// Preloaded with `node --import`: records the URL of every module the process loads (ESM, and
// CommonJS reached through import) in $AP_LOADED_LOG, so a test can say what start-up pulled in.
import { register } from 'node:module';
register('./record-loads-hooks.mjs', import.meta.url);
