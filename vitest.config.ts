import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Tests spawn real processes and build real files; give slow CI machines room
    // (these are hang guards, not speed assertions).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
