/**
 * Bundles the console (dist/screens/run-console.js and everything it imports: Ink, React, zustand,
 * our screens, stores and services) into one ESM file, dist/console/run-console.js.
 *
 * Why: on this hardware Node's ESM loader spends ~300 ms resolving and reading Ink's and React's
 * few hundred small modules before the first frame; one file removes almost all of that. bin/
 * falls back to the unbundled modules when the bundle is missing. better-sqlite3 stays external
 * (a native addon), and React is bundled in its production build.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * Ink imports react-devtools-core (not installed) only when DEV=true; left external, the bundle
 * would import it at load time and fail. An empty stand-in keeps that path inert.
 */
const noDevtools = {
  name: 'no-devtools',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export default { connectToDevTools() {} };', loader: 'js' }));
  },
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

await build({
  absWorkingDir: root,
  entryPoints: ['dist/screens/run-console.js'],
  outfile: 'dist/console/run-console.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'pg'],
  plugins: [noDevtools],
  define: { 'process.env.NODE_ENV': '"production"' },
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: { js: "import { createRequire as __apCreateRequire } from 'node:module'; const require = __apCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
