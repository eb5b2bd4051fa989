import { expect, Browser, BrowserContext, Page } from '@playwright/test';

export const PASSWORD = 'demo-password';

/** Signs in through the form, as a person would. */
export async function signIn(page: Page, email: string) {
  await page.goto('/login');
  // The form posts without the page's script too; but a submit while that script is
  // still loading cancels the load, which Chromium reports as an uncaught error of the
  // page left behind. These tests sign in to test what comes after, so they wait.
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

/** A browser without script, signed in through the plain form: its context (to close)
 *  and a page on the Syncs list. */
export async function signInWithoutScript(
  browser: Browser,
  email: string,
  options: { viewport?: { width: number; height: number } } = {},
): Promise<{ plain: BrowserContext; page: Page }> {
  const plain = await browser.newContext({ ...options, javaScriptEnabled: false });
  const page = await plain.newPage();
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).not.toHaveURL(/\/login/);
  return { plain, page };
}

/** Waits until the wasm app has hydrated, so client-side behaviour can be tested.
 *  On the Syncs page the filter controls also say when they are live. */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => document.body.dataset.hydrated === 'true');
  if (new URL(page.url()).pathname === '/admin/user-provisioning') {
    await page.locator('section.filters[data-interactive="true"]').waitFor();
  }
}

/** The Status filter's choices, opened first if folded (they fold into one control). */
export async function statusChoices(page: Page) {
  const picker = page.locator('details.status-picker');
  if ((await picker.getAttribute('open')) === null) await picker.locator('summary').click();
  return page.getByRole('group', { name: 'Status' });
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

/** axe-core's serious and critical findings on the page as it is now, one line each. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  // The page at rest: a list being refetched is dimmed on purpose (aria-busy), and a colour
  // read halfway through its fade back would be a contrast problem no reader ever meets.
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
  await page.evaluate(() =>
    Promise.all(document.getAnimations().filter((a) => a instanceof CSSTransition).map((a) => a.finished.catch(() => {}))));
  // Evaluated through the browser's debugging protocol, which the page's Content Security
  // Policy does not govern: the page itself is checked exactly as users get it.
  const source = require('node:fs').readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] =
    await page.evaluate(async () => (await (window as any).axe.run(document, { resultTypes: ['violations'] })).violations);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join('; ')})`);
}

/** Presses Tab until the focused element matches `selector`: reachable by keyboard alone. */
export async function tabTo(page: Page, selector: string, limit = 80) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`${selector} was not reached with Tab in ${limit} presses`);
}

/** Whether the focused element shows a visible focus indicator (an outline or a stroke). */
export async function focusIsVisible(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const el = document.activeElement as Element | null;
    if (!el) return false;
    const own = getComputedStyle(el);
    if (own.outlineStyle !== 'none' && parseFloat(own.outlineWidth) > 0) return true;
    // SVG chart days draw their focus on the shape inside.
    const shape = el.querySelector('.chart__hit');
    return !!shape && parseFloat(getComputedStyle(shape).strokeWidth) > 0 && getComputedStyle(shape).stroke !== 'none';
  });
}

/**
 * Holds the page's module back, as a slow link would, until the returned function is
 * called: the page shows as the server wrote it, not yet hydrated.
 */
export async function holdBackTheApp(page: Page): Promise<() => void> {
  let release!: () => void;
  const late = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/pkg\/.*\.wasm$/, async (route) => {
    await late;
    // The page that asked may be gone by now.
    await route.continue().catch(() => {});
  });
  return release;
}
