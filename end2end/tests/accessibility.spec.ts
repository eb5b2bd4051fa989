import { test, expect, Page } from './fixtures';
import { signIn, hydrated, accessibilityProblems, tabTo, focusIsVisible } from './helpers';

const SYNCS = '/admin/user-provisioning';

async function expectAccessible(page: Page, what: string) {
  expect(await accessibilityProblems(page), what).toEqual([]);
}

test('axe finds no serious or critical problem on any page', async ({ page }) => {
  await page.goto('/login');
  await expectAccessible(page, 'sign-in');
  await page.goto('/login?error=expired');
  await expectAccessible(page, 'sign-in, session expired');

  await signIn(page, 'org.admin@acme.example');
  await hydrated(page);
  await expectAccessible(page, 'syncs, default');

  await page.goto(`${SYNCS}?range=30d&status=success,needs_attention&config=Workday+%E2%80%93+Global+HR`);
  await hydrated(page);
  await expect(page.locator('table.runs tbody tr').first()).toBeVisible();
  await expectAccessible(page, 'syncs, filtered');

  await page.goto(`${SYNCS}?range=custom&from=2020-01-01&to=2020-01-02`);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'No runs match these filters' })).toBeVisible();
  await expectAccessible(page, 'syncs, empty result');

  await page.goto(`${SYNCS}?status=bogus`);
  await expect(page.getByRole('alert').first()).toBeVisible();
  await expectAccessible(page, 'syncs, bad filter');

  await page.goto(`${SYNCS}?status=needs_attention`);
  await hydrated(page);
  await page.locator('table.runs tbody tr').first().locator('.runs__start a').click();
  await expect(page.getByRole('heading', { name: 'Sync result log' })).toBeVisible();
  await hydrated(page);
  await expectAccessible(page, 'run details');

  await page.goto(`${SYNCS}/help`);
  await hydrated(page);
  await expectAccessible(page, 'help');

  const missing = await page.goto('/nowhere-at-all');
  expect(missing?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Go to User Provisioning' })).toHaveAttribute('href', SYNCS);
  await expectAccessible(page, 'not found');

  // Inside the Admin Panel, the page keeps its frame: the way on is where it always is.
  const inside = await page.goto('/admin/user-provisioning/nowhere');
  expect(inside?.status()).toBe(404);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Admin Panel' }).getByRole('link', { name: 'User Provisioning' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await expectAccessible(page, 'not found in the Admin Panel');
});

test('the page without access passes axe too', async ({ page }) => {
  await signIn(page, 'people.admin.unenrolled@acme.example');
  await page.goto(SYNCS);
  await expect(page.getByRole('heading', { name: "You don't have access to User Provisioning" })).toBeVisible();
  await expectAccessible(page, 'no access');
});

test('a skip link leads past the header and sidebar; the column names stay in view', async ({ page }) => {
  await signIn(page, 'org.admin@acme.example');
  await hydrated(page);
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  expect(await focusIsVisible(page)).toBe(true);
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.locator('main#main')).toBeFocused();
  // The next Tab lands in the page, not back in the header.
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => !!document.activeElement?.closest('main#main'))).toBe(true);

  await page.locator('table.runs tbody tr').nth(40).scrollIntoViewIfNeeded();
  await expect(page.locator('table.runs thead th').first()).toBeInViewport();
});

test('every control works from the keyboard, with a visible focus', async ({ page }) => {
  await signIn(page, 'org.admin@acme.example');
  await hydrated(page);

  // Date range: a select changed with the arrow keys.
  await tabTo(page, 'select#filter-range');
  expect(await focusIsVisible(page)).toBe(true);
  await page.keyboard.press('ArrowDown');
  await expect(page).toHaveURL(/\?range=7d$/);

  // A status check box, toggled with Space (the statuses open from their control first).
  await page.locator('select#filter-range').focus();
  await tabTo(page, 'summary.status-picker__button');
  expect(await focusIsVisible(page)).toBe(true);
  await page.keyboard.press('Enter');
  await tabTo(page, 'input#filter-status-success');
  expect(await focusIsVisible(page)).toBe(true);
  await page.keyboard.press('Space');
  await expect(page).toHaveURL(/status=success/);

  // A pill's remove button, then Clear filters.
  await tabTo(page, 'a[aria-label="Remove filter Status: Success"]');
  expect(await focusIsVisible(page)).toBe(true);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\?range=7d$/);
  await tabTo(page, '.pills > a');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/admin\/user-provisioning$/);
  // The chart is drawn for the cleared filter (30 days, where Last 7 Days had 8).
  await expect(page.locator('g.chart__day')).toHaveCount(30);

  // A legend entry, then a day of the chart.
  await tabTo(page, '.chart__legend button');
  expect(await focusIsVisible(page)).toBe(true);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\?status=queued$/);
  // The chart is drawn again for the new filter, with focus kept on the same entry. Until
  // then the previous chart stays, dimmed, and its entry already shows the URL's filter: a
  // key pressed just as it is replaced would reach no button, so wait for the new one.
  await expect(page.locator('.results[aria-busy]')).toHaveCount(0);
  await expect(page.locator('#legend-queued')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('#legend-queued')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/admin\/user-provisioning$/);
  // The chart and the table show the whole list again (one Queued run had matched)
  // before tabbing on.
  await expect(page.locator('.results[aria-busy]')).toHaveCount(0);
  await expect(page.locator('#legend-queued')).toHaveAttribute('aria-pressed', 'false');
  await expect(page.locator('table.runs tbody tr')).toHaveCount(50);
  await tabTo(page, 'g.chart__day');
  expect(await focusIsVisible(page)).toBe(true);

  // A status's tip shows on focus and Escape hides it.
  await tabTo(page, 'table.runs .status');
  expect(await focusIsVisible(page)).toBe(true);
  const tip = page.locator('table.runs .status:focus + .tooltip');
  await expect(tip).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(tip).toBeHidden();

  // The Download menu: Enter opens it on its first choice, Escape closes it and returns.
  await tabTo(page, 'table.runs button[aria-haspopup=menu]');
  expect(await focusIsVisible(page)).toBe(true);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('menuitem', { name: 'CSV' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menu')).toHaveCount(0);
  await expect(page.locator('table.runs button[aria-haspopup=menu]').first()).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('menuitem', { name: 'CSV' })).toBeFocused();
  // Tab closes the menu at once and moves on from its button, not into the other choice.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('menu')).toHaveCount(0);
  expect(await page.locator('table.runs button[aria-haspopup=menu]').first().evaluate((button) => {
    const a = document.activeElement;
    return !!a && a !== document.body && !button.parentElement!.contains(a);
  })).toBe(true);

  // Down on the button opens the menu; the arrows move between the choices, round, and
  // Home and End go to the ends.
  const menuButton = page.locator('table.runs button[aria-haspopup=menu]').first();
  const csv = page.getByRole('menuitem', { name: 'CSV' });
  const xlsx = page.getByRole('menuitem', { name: 'Excel (XLSX)' });
  await menuButton.focus();
  await page.keyboard.press('ArrowDown');
  await expect(csv).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(xlsx).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(csv).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(xlsx).toBeFocused();
  await page.keyboard.press('Home');
  await expect(csv).toBeFocused();
  await page.keyboard.press('End');
  await expect(xlsx).toBeFocused();
  // A choice made from the keyboard leaves focus on the button, ready for the next.
  await page.keyboard.press('Home');
  const downloading = page.waitForEvent('download');
  await page.keyboard.press('Enter');
  await downloading;
  await expect(menuButton).toBeFocused();
  await expect(menuButton).toHaveAttribute('aria-disabled', 'false');

  // A row's start time opens its details.
  await page.locator('select#filter-range').focus();
  await tabTo(page, 'table.runs .runs__start a');
  expect(await focusIsVisible(page)).toBe(true);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/admin\/user-provisioning\/runs\/\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
});

for (const [name, width, height] of [['phone', 360, 740], ['wide', 1600, 1000]] as const) {
  test(`the Syncs page fits a ${name} screen (${width} px)`, async ({ page }, testInfo) => {
    await page.setViewportSize({ width, height });
    await signIn(page, 'org.admin@acme.example');
    await hydrated(page);
    await expect(page.locator('table.runs tbody tr').first()).toBeVisible();
    // Nothing is wider than the screen: no sideways scrolling of the page.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // The parts a person works with lie within the screen's width.
    for (const part of ['h1', 'section.filters', '.chart__svg', '.chart__legend', 'table.runs tbody tr >> nth=0']) {
      const box = await page.locator(part).first().boundingBox();
      expect(box, part).not.toBeNull();
      expect(box!.x, part).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, part).toBeLessThanOrEqual(width + 0.5);
    }
    // The chart keeps a usable size: each day at least a few pixels wide.
    const chart = await page.locator('.chart__svg').boundingBox();
    expect(chart!.width / 30).toBeGreaterThanOrEqual(width < 600 ? 8 : 20);
    // Text stays readable (nothing shrunk below 12 px).
    const smallest = await page.evaluate(() => Math.min(...[...document.querySelectorAll('main *')]
      .filter((e) => e.childNodes.length && [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent!.trim()))
      .filter((e) => (e as HTMLElement).offsetParent !== null)
      .map((e) => parseFloat(getComputedStyle(e).fontSize))));
    expect(smallest).toBeGreaterThanOrEqual(12);
    const shot = await page.screenshot({ fullPage: true });
    await testInfo.attach(`syncs-${width}px`, { body: shot, contentType: 'image/png' });
    expect(shot.length).toBeGreaterThan(10_000);
    await expectAccessible(page, `${name} layout`);
  });
}
