import { defineConfig } from '@playwright/test';

// The server is started by ../test.sh with fresh demo data; BASE_URL says where.
export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [['list']],
  // The live-view and alert tests add runs to the demo history; they run after the tests
  // that read that history as it was seeded, one after the other.
  projects: [
    { name: 'pages', testIgnore: /(live|alerts)\.spec\.ts/ },
    { name: 'live', testMatch: /live\.spec\.ts/, dependencies: ['pages'] },
    { name: 'alerts', testMatch: /alerts\.spec\.ts/, dependencies: ['live'] },
  ],
  use: {
    baseURL: process.env.BASE_URL ?? 'http://127.0.0.1:3000',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
});
