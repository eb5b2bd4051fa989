import { test as base, expect } from '@playwright/test';

export * from '@playwright/test';

/**
 * Playwright's `test`, where a test also fails if a page it opened threw an error that
 * nothing caught: a panic in the page's wasm surfaces as one ("unreachable").
 */
export const test = base.extend<{ uncaughtErrors: void }>({
  uncaughtErrors: [
    async ({ context }, use) => {
      const thrown: string[] = [];
      const watch = (p: import('@playwright/test').Page) =>
        p.on('pageerror', (e) => thrown.push(`${p.url()}: ${e.message}`));
      context.pages().forEach(watch);
      context.on('page', watch);
      await use();
      expect(thrown, 'errors thrown in the page and caught by nothing').toEqual([]);
    },
    { auto: true },
  ],
});
