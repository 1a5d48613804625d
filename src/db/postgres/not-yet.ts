/**
 * The groups other engineers are defining while this engine is built (#14): every operation of
 * such a group answers with a rejected Promise naming itself, whatever methods the group's
 * interface gains, until the PostgreSQL version is written (#15, next parts).
 */
export function notYetImplemented<T>(group: string): T {
  return new Proxy(
    {},
    {
      get(_target, op) {
        // Not a thenable, not an iterator: only named operations answer.
        if (typeof op === 'symbol' || op === 'then' || op === 'toJSON') return undefined;
        return () => Promise.reject(new Error(`not yet implemented on PostgreSQL: ${group}.${op}`));
      },
    },
  ) as unknown as T;
}
