import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    // Registers expect(...).toHaveCode(code) for every test (test/expect-code.ts).
    setupFiles: ['test/setup-vitest.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
