import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Component tests (test/renderer/*.test.tsx) choose happy-dom with a `@vitest-environment` line.
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/support/build.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests start real servers and child processes; two cores are all we have.
    fileParallelism: true,
    maxWorkers: 2,
    // electron-store imports `electron`: run it through Vite so a test can stand the stub in (vi.mock).
    server: { deps: { inline: ['electron-store'] } },
  },
  oxc: { jsx: { runtime: 'automatic' } },
});
