import { defineConfig } from '@playwright/test';

/**
 * Real-browser tests on Debian's Chromium (Playwright's own browser downloads cannot work
 * here). The webServer entry writes the fixture models, builds the demo and the harness
 * (vite.e2e.config.ts) and serves the build with `vite preview`, so the
 * tests exercise the shipped bundles and no dev-server reload can hit a running test.
 * Two projects: plain chromium (cpu, wasm, webgl) and chromium with WebGPU through
 * SwiftShader, which exercises the webgpu path for correctness only, never for speed.
 */
// E2E_PORT lets two checkouts run their browser tests at the same time.
const PORT = Number(process.env.E2E_PORT ?? 5187);
const BASE_ARGS = ['--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: 'chromium',
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `npx tsx test/fixtures/make-model.ts && npx vite build -c vite.e2e.config.ts --logLevel warn && npx vite preview -c vite.e2e.config.ts --port ${PORT} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${PORT}/test/e2e/harness/index.html`,
    // Always a fresh build: a server left over from an earlier run would serve stale bundles.
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
  projects: [
    {
      name: 'chromium',
      grepInvert: /@webgpu/,
      use: { launchOptions: { executablePath, args: BASE_ARGS } },
    },
    {
      name: 'webgpu',
      grep: /@webgpu/,
      use: { launchOptions: { executablePath, args: [...BASE_ARGS, '--enable-unsafe-webgpu', '--enable-features=Vulkan'] } },
    },
  ],
});
