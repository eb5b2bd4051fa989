import { test as base, expect } from '@playwright/test';

export * from '@playwright/test';

/**
 * Playwright's `test`, where a test also fails if a page it opened threw an error that
 * nothing caught: a panic in the page's wasm surfaces as one ("unreachable"). Requests
 * for the page's own files that failed are reported beside such an error, since a script
 * that could not be fetched surfaces only as "Failed to fetch dynamically imported module".
 */
export const test = base.extend<{ uncaughtErrors: void }>({
  uncaughtErrors: [
    async ({ context }, use) => {
      const thrown: string[] = [];
      const failed: string[] = [];
      const watch = (p: import('@playwright/test').Page) =>
        p.on('pageerror', (e) => thrown.push(`${p.url()}: ${e.message}`));
      context.pages().forEach(watch);
      context.on('page', watch);
      context.on('requestfailed', (r) => {
        if (r.url().includes('/pkg/')) failed.push(`${r.url()}: ${r.failure()?.errorText}`);
      });
      context.on('response', (r) => {
        if (r.url().includes('/pkg/') && r.status() >= 400) failed.push(`${r.url()}: ${r.status()}`);
      });
      await use();
      expect(thrown, `errors thrown in the page and caught by nothing; failed requests: ${failed.join('; ') || 'none'}`).toEqual([]);
    },
    { auto: true },
  ],
});
