/** Milliseconds since the epoch, UTC. Injected everywhere time matters so tests can move it. */
export type Clock = () => number;

/**
 * The system clock, shifted by AGENTIC_PIPELINE_CLOCK_OFFSET_MS when set. The offset exists for
 * end-to-end tests of time rules (stuck, aging, retention) through real processes; it is read
 * once at start-up.
 */
export function systemClock(env: NodeJS.ProcessEnv = process.env): Clock {
  const offset = Number(env.AGENTIC_PIPELINE_CLOCK_OFFSET_MS ?? 0);
  if (!Number.isFinite(offset) || offset === 0) return Date.now;
  return () => Date.now() + offset;
}
