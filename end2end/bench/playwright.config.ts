import { defineConfig } from '@playwright/test';
import base from '../playwright.config';

// The benchmarks in this folder, run by their scripts (big-download.sh), never by test.sh.
export default defineConfig({
  ...base,
  testDir: '.',
  projects: undefined,
  timeout: 600_000,
  workers: 1,
});
