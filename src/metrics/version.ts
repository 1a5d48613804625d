/** The package version, read once from package.json (two levels above dist/src/metrics and src/metrics). */
import { createRequire } from 'node:module';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached === undefined) {
    try {
      cached = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;
    } catch {
      try {
        cached = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
      } catch {
        cached = 'unknown';
      }
    }
  }
  return cached;
}
