import { expect, Page } from '@playwright/test';

export const PASSWORD = 'demo-password';

/** Signs in through the form, as a person would. */
export async function signIn(page: Page, email: string) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

/** Waits until the wasm app has hydrated, so client-side behaviour can be tested.
 *  On the Syncs page the filter controls also say when they are live. */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => document.body.dataset.hydrated === 'true');
  if (new URL(page.url()).pathname === '/admin/user-provisioning') {
    await page.locator('section.filters[data-interactive="true"]').waitFor();
  }
}

export const STATUS_LABELS = [
  'Queued', 'In Progress', 'Success', 'Needs Attention', 'Data Load Failed',
  'Above Deactivation Threshold', 'Cancelled',
];

/** Collects what the browser refused under the page's Content Security Policy. */
export function cspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) seen.push(msg.text());
  });
  return seen;
}
