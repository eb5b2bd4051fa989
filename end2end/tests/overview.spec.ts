import { test, expect, Page } from './fixtures';
import { signIn, hydrated, STATUS_LABELS, cspViolations } from './helpers';

async function ready(page: Page, query = '') {
  await signIn(page, 'org.admin@acme.example');
  if (query) await page.goto(`/admin/user-provisioning?${query}`);
  await hydrated(page);
}

const total = async (page: Page) => Number((await page.locator('.count').innerText()).match(/of (\d+) runs/)![1]);

/** The chart's numbers, read from its table: one row per day, [day, ...per status, total]. */
async function chartRows(page: Page): Promise<string[][]> {
  return page.locator('.chart table tbody tr').evaluateAll((rows) =>
    rows.map((r) => [...r.children].map((c) => c.textContent ?? '')));
}

const legend = (page: Page, label: string) =>
  page.locator('.chart__legend').getByRole('button', { name: new RegExp(`^${label} \\(\\d+\\)$`) });

test('the chart counts what the list holds, per day and status', async ({ page }) => {
  await ready(page, 'range=30d');
  const chart = page.getByRole('region', { name: 'Runs per day' });
  await expect(chart).toBeVisible();
  const rows = await chartRows(page);
  // Last 30 Days starts at this moment 30 days ago: that day and the 30 after it.
  expect(rows).toHaveLength(31);
  const charted = rows.reduce((sum, r) => sum + Number(r[8]), 0);
  expect(charted).toBe(await total(page));
  await expect(chart.locator('.chart__caption')).toContainText(`${charted} runs from`);
  // Each status's legend entry sums its column.
  for (const [i, label] of STATUS_LABELS.entries()) {
    const column = rows.reduce((sum, r) => sum + Number(r[i + 1]), 0);
    await expect(legend(page, label)).toHaveAccessibleName(`${label} (${column})`);
  }
  // One bar per day, each named with its counts.
  await expect(chart.locator('g.chart__day')).toHaveCount(31);
  const busiest = rows.reduce((a, b) => (Number(b[8]) > Number(a[8]) ? b : a));
  await expect(chart.getByRole('button', { name: new RegExp(`^${busiest[0]}: ${busiest[8]} runs`) })).toBeVisible();
});

test('clicking a day lists that day; the legend toggles statuses', async ({ page }) => {
  const refused = cspViolations(page);
  await ready(page);
  const rows = await chartRows(page);
  const day = rows.filter((r) => Number(r[8]) > 0).at(-2)!;
  const bar = page.getByRole('button', { name: new RegExp(`^${day[0]}: `) });
  await bar.hover();
  const tip = page.locator('.chart__tip');
  await expect(tip).toContainText(`${day[0]}: ${day[8]} runs`);
  // The tip stands over its bar.
  const [tipBox, barBox] = [await tip.boundingBox(), await bar.boundingBox()];
  const barCentre = barBox!.x + barBox!.width / 2;
  expect(barCentre).toBeGreaterThanOrEqual(tipBox!.x);
  expect(barCentre).toBeLessThanOrEqual(tipBox!.x + tipBox!.width);
  expect(refused).toEqual([]);
  await bar.click();
  await expect(page).toHaveURL(/\?range=custom&from=\d{4}-\d\d-\d\d&to=\d{4}-\d\d-\d\d$/);
  const from = new URL(page.url()).searchParams.get('from');
  expect(new URL(page.url()).searchParams.get('to')).toBe(from);
  await expect.poll(() => total(page)).toBe(Number(day[8]));
  await expect(page.locator('table.runs tbody tr')).toHaveCount(Math.min(Number(day[8]), 50));
  // The chart now covers just that day.
  await expect(page.locator('g.chart__day')).toHaveCount(1);

  await legend(page, 'Success').click();
  await expect(page).toHaveURL(/status=success$/);
  await expect(legend(page, 'Success')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('link', { name: 'Remove filter Status: Success' })).toBeVisible();
  await expect.poll(() => total(page)).toBe(Number(day[3]));
  await legend(page, 'Success').click();
  await expect(page).toHaveURL(/from=[\d-]+&to=[\d-]+$/);
  await expect(legend(page, 'Success')).toHaveAttribute('aria-pressed', 'false');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
});

test('days are chosen by keyboard: arrows move, Enter picks', async ({ page }) => {
  await ready(page);
  const days = page.locator('g.chart__day');
  await expect(days).toHaveCount(30);
  // One tab stop for the chart: the latest day.
  await expect(page.locator('g.chart__day[tabindex="0"]')).toHaveCount(1);
  await page.locator('g.chart__day[tabindex="0"]').focus();
  await expect(days.last()).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect(days.nth(28)).toBeFocused();
  await page.keyboard.press('Home');
  await expect(days.first()).toBeFocused();
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  const name = await days.nth(27).getAttribute('aria-label');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/range=custom&from=/);
  await expect(page.locator('g.chart__day')).toHaveCount(1);
  await expect(page.locator('g.chart__day')).toHaveAttribute('aria-label', name!);
});

test('a range longer than the chart shows its last 90 days and says so', async ({ page }) => {
  await ready(page, 'range=custom&from=2020-01-01');
  await expect(page.locator('g.chart__day')).toHaveCount(90);
  await expect(page.locator('.chart__caption')).toContainText('(the last 90 days of the range)');
});
