import { test, expect, Page } from './fixtures';
import { test as plainTest } from '@playwright/test';
import { signIn, hydrated, accessibilityProblems, holdBackTheApp, signInWithoutScript } from './helpers';

const SYNCS = '/admin/user-provisioning';

/** The runs whose row ends inside the first screen. */
async function rowsInFirstScreen(page: Page): Promise<number> {
  return page.locator('table.runs tbody tr').evaluateAll((rows) =>
    rows.filter((r) => r.getBoundingClientRect().bottom <= window.innerHeight).length);
}

test('a bad link lists every problem at once, keeps what works and answers 400', async ({ page }) => {
  await signIn(page, 'org.admin@acme.example');
  const response = await page.goto(
    `${SYNCS}?status=bogus,success&range=custom&from=2024-13-01&sort=oldest&config=No+such+thing`);
  expect(response?.status()).toBe(400);
  const alert = page.getByRole('alert').filter({ hasText: 'problems' });
  await expect(alert).toContainText("This link's filters have 3 problems:");
  await expect(alert.getByRole('listitem')).toHaveText([
    '"bogus" is not a sync status.',
    '"2024-13-01" is not a valid From date; write it as 15 Jan 2024.',
    'There is no configuration named "No such thing". Choose one from the Configuration list.',
  ]);
  // The parts that can be used are shown as the filter; the unknown configuration is not.
  await expect(page.getByRole('listitem').filter({ hasText: 'Sort order: Oldest first' })).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: 'Status: Success' })).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: 'Configuration:' })).toHaveCount(0);
  await hydrated(page);
  await expect(page.getByLabel('Sort order', { exact: true })).toHaveValue('oldest');
  // One way out keeps them.
  await alert.getByRole('link', { name: 'Keep the filters that work' }).click();
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?range=custom&sort=oldest&status=success$`));
  await expect(page.locator('table.runs tbody tr').first()).toBeVisible();

  // One problem alone is the same kind of answer.
  for (const query of ['status=bogus', 'config=No+such+thing', 'sort=sideways']) {
    expect((await page.goto(`${SYNCS}?${query}`))?.status(), query).toBe(400);
    await expect(page.getByRole('alert').first()).toContainText("This link's filters cannot be used:");
  }
});

// Without the fixture that fails a test on an error thrown in a page: a page left while
// its module is still loading reports the cancelled load as one, and here that is the point.
plainTest('a filter chosen before the page has hydrated is applied, not undone', async ({ page }) => {
  await signIn(page, 'org.admin@acme.example');
  // The page's module arrives late, as on a slow link.
  const release = await holdBackTheApp(page);
  await page.goto(SYNCS);
  await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('Sort order', { exact: true }).selectOption('oldest');
  // Applied at once, by loading the filtered page from the server.
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?sort=oldest$`));
  await expect(page.getByRole('listitem').filter({ hasText: 'Sort order: Oldest first' })).toBeVisible();
  await page.locator('details.status-picker summary').click();
  await page.getByRole('group', { name: 'Status' }).getByLabel('Success').click();
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?sort=oldest&status=success$`));

  release();
  await hydrated(page);
  // Hydration keeps what was chosen.
  await expect(page.getByLabel('Sort order', { exact: true })).toHaveValue('oldest');
  await expect(page.getByRole('listitem').filter({ hasText: 'Status: Success' })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?sort=oldest&status=success$`));
  // From now on the app applies changes itself, without loading the page again.
  await page.evaluate(() => ((window as any).sameDocument = true));
  await page.getByLabel('Sort order', { exact: true }).selectOption('newest');
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?status=success$`));
  expect(await page.evaluate(() => (window as any).sameDocument)).toBe(true);
});

test('the chart folds and stays folded; then a dozen runs show in the first screen', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await signIn(page, 'org.admin@acme.example');
  await hydrated(page);
  const fold = page.getByRole('button', { name: 'Hide chart' });
  await expect(fold).toHaveAttribute('aria-expanded', 'true');
  await fold.click();
  await expect(page.getByRole('button', { name: 'Show chart' })).toHaveAttribute('aria-expanded', 'false');
  await expect(page.locator('.chart__svg')).toBeHidden();
  // Kept by the browser, and rendered so by the server.
  await page.reload();
  await expect(page.getByRole('button', { name: 'Show chart' })).toBeVisible();
  await expect(page.locator('.chart__svg')).toBeHidden();
  await hydrated(page);
  expect(await rowsInFirstScreen(page)).toBeGreaterThanOrEqual(12);
  // The statuses fold into one control too, and Escape folds them back.
  await page.locator('details.status-picker summary').click();
  await expect(page.getByRole('group', { name: 'Status' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('group', { name: 'Status' })).toBeHidden();
  await expect(page.locator('details.status-picker summary')).toBeFocused();
  // Tab past the last choice folds them too, so nothing hidden takes the focus.
  await page.keyboard.press('Enter');
  for (let i = 0; i < 8; i++) await page.keyboard.press('Tab');
  await expect(page.getByRole('group', { name: 'Status' })).toBeHidden();
  expect(await accessibilityProblems(page)).toEqual([]);

  await page.getByRole('button', { name: 'Show chart' }).click();
  await expect(page.locator('.chart__svg')).toBeVisible();
});

test('on a phone the first run is in the first screen, its fields named', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, 'org.admin@acme.example');
  await hydrated(page);
  // The first run starts in the first screen, chart and all; with the chart folded it
  // ends there too.
  const top = await page.locator('table.runs tbody tr').first().evaluate((r) => r.getBoundingClientRect().top);
  expect(top).toBeLessThan(844);
  // Every legend entry is in sight, inside the chart's panel: none is cut at its edge.
  const edges = await page.locator('.chart__legend').evaluate((ul) => ({
    right: ul.getBoundingClientRect().right,
    entries: [...ul.children].map((li) => li.getBoundingClientRect().right),
  }));
  expect(edges.entries).toHaveLength(8);
  for (const right of edges.entries) expect(right).toBeLessThanOrEqual(edges.right + 0.5);
  await page.getByRole('button', { name: 'Hide chart' }).click();
  expect(await rowsInFirstScreen(page)).toBeGreaterThanOrEqual(1);
  const first = page.locator('table.runs tbody tr').first();
  for (const [cell, label] of [[2, 'Source'], [3, 'Configuration'], [4, 'Status'], [5, 'Duration']] as const) {
    const shown = await first.locator(`td:nth-child(${cell})`).evaluate(
      (td) => getComputedStyle(td, '::before').content);
    expect(shown).toBe(`"${label}"`);
  }
  // The filters are a drawer behind one button, which counts those in use.
  const drawer = page.getByRole('button', { name: 'Filters', exact: true });
  await expect(drawer).toHaveAttribute('aria-expanded', 'false');
  await expect(page.getByLabel('Sort order', { exact: true })).toBeHidden();
  await drawer.click();
  await page.getByLabel('Sort order', { exact: true }).selectOption('oldest');
  await expect(page).toHaveURL(/\?sort=oldest$/);
  await expect(page.getByRole('button', { name: 'Filters (1)' })).toHaveAttribute('aria-expanded', 'true');
  expect(await accessibilityProblems(page)).toEqual([]);

  // A short page (a bad link's) starts right under the sidebar, not a screen's leftover
  // height below it.
  await page.goto('/admin/user-provisioning?status=bogus');
  const heading = await page.getByRole('heading', { name: 'User Provisioning', level: 1 }).boundingBox();
  const sidebar = await page.locator('.sidebar').boundingBox();
  expect(heading!.y - (sidebar!.y + sidebar!.height)).toBeLessThan(60);
});

// Without the fixture that fails a test on an error thrown in a page (see above).
plainTest("a run's Download before the page has hydrated gets the log as CSV from the server", async ({ page }) => {
  await signIn(page, 'org.admin@acme.example');
  const release = await holdBackTheApp(page);
  await page.goto(`${SYNCS}?status=success`);
  await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');
  const row = page.locator('table.runs tbody tr').first();
  const waiting = page.waitForEvent('download');
  await row.getByRole('button', { name: 'Download' }).click();
  const download = await waiting;
  expect(download.suggestedFilename()).toMatch(/^Sync Logs - .*\.csv$/);
  // The page stays where it was.
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?status=success$`));
  release();
  await hydrated(page);
  // Once hydrated, the button opens its menu as before.
  await row.getByRole('button', { name: 'Download' }).click();
  await expect(row.getByRole('menu')).toBeVisible();
});

plainTest('on a phone before the page has hydrated, or without script, the filters can be used', async ({ browser }) => {
  const phone = { width: 390, height: 844 };
  const context = await browser.newContext({ viewport: phone });
  const page = await context.newPage();
  await signIn(page, 'org.admin@acme.example');
  const release = await holdBackTheApp(page);
  await page.goto(SYNCS);
  const drawer = page.getByRole('button', { name: 'Filters', exact: true });
  await drawer.click();
  await expect(drawer).toHaveAttribute('aria-expanded', 'true');
  await page.getByLabel('Sort order', { exact: true }).selectOption('oldest');
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?sort=oldest$`));
  release();
  await hydrated(page);
  await expect(page.getByRole('button', { name: 'Filters (1)' })).toBeVisible();
  await context.close();

  // Without script: the filters simply show, with a button that applies them.
  const { plain, page: still } = await signInWithoutScript(browser, 'org.admin@acme.example', { viewport: phone });
  await still.goto(SYNCS);
  await expect(still.getByRole('button', { name: /^Filters/ })).toBeHidden();
  await still.getByLabel('Sort order', { exact: true }).selectOption('oldest');
  await still.getByRole('button', { name: 'Apply filters' }).click();
  // The form names every field, empty or not; the address kept is the tidy one.
  await expect(still).toHaveURL(new RegExp(`${SYNCS}\\?sort=oldest$`));
  await expect(still.getByRole('listitem').filter({ hasText: 'Sort order: Oldest first' })).toBeVisible();
  await plain.close();
});

test("a failed load's errors are one link away, from its status and its counts", async ({ page }) => {
  await signIn(page, 'org.admin@acme.example');
  await page.goto(`${SYNCS}?status=data_load_failed`);
  await page.locator('table.runs tbody tr').first().locator('.runs__start a').click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  await hydrated(page);
  await page.getByRole('link', { name: /^See the errors? in the log below$/ }).click();
  await expect(page).toHaveURL(/\/runs\/\d+#log-title$/);
  const errors = page.getByRole('region', { name: 'Records' }).getByRole('link', { name: /errors: show them/ });
  await expect(errors).toHaveAttribute('href', /\/runs\/\d+#log-title$/);
  await expect(page.locator('table.log tbody td:nth-child(6)').first()).toHaveText('Error');
});

// Without the fixture that fails a test on an error thrown in a page (see above).
plainTest('before the page has hydrated, a date waits until typed, a named range drops the dates, and pills are links', async ({ page }) => {
  await signIn(page, 'org.admin@acme.example');
  const release = await holdBackTheApp(page);
  await page.goto(`${SYNCS}?range=custom&from=2026-11-01&status=success`);
  await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');
  const from = page.getByLabel('From', { exact: true });
  const to = page.getByLabel('To', { exact: true });
  await expect(from).toHaveValue('1 Nov 2026');
  // A day is typed as the page writes it, passing through others on its way ("1", "13
  // D"): nothing is sent until the dates are left, and going from From to To (by its
  // calendar button) sends nothing yet.
  await from.focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('5 Oct 2026');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Choose the From date on a calendar' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(to).toBeFocused();
  await page.keyboard.type('13 Dec 2026');
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?range=custom&from=2026-11-01&status=success$`));
  // Leaving the dates sends both, as typed; the server answers with the page's own link.
  await to.blur();
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?range=custom&from=2026-10-05&to=2026-12-13&status=success$`));
  await expect(page.getByRole('listitem').filter({ hasText: 'Date range: 5 Oct 2026 – 13 Dec 2026' })).toBeVisible();
  // Leaving Custom leaves its dates behind (the form still holds them, folded away).
  await page.getByLabel('Date range', { exact: true }).selectOption('7d');
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?range=7d&status=success$`));
  // A pill's × is a link to the list without it.
  await page.getByRole('link', { name: 'Remove filter Status: Success' }).click();
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?range=7d$`));
  await page.getByRole('link', { name: 'Clear filters' }).click();
  await expect(page).toHaveURL(new RegExp(`${SYNCS}$`));
  release();
  await hydrated(page);
});

// Without the fixture that fails a test on an error thrown in a page (see above).
plainTest('days typed before the page hydrates stay through it, and the pair on screen is what applies', async ({ page }) => {
  await signIn(page, 'org.admin@acme.example');
  const release = await holdBackTheApp(page);
  await page.goto(`${SYNCS}?range=custom&from=2026-11-01&status=success`);
  const from = page.getByLabel('From', { exact: true });
  const to = page.getByLabel('To', { exact: true });
  await expect(from).toHaveValue('1 Nov 2026');
  // Typed, then on to the calendar button: nothing is sent yet, and the app arrives.
  await from.focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('5 Oct 2026');
  await page.keyboard.press('Tab');
  release();
  await hydrated(page);
  await expect(from).toHaveValue('5 Oct 2026');
  // Leaving the dates by the keyboard applies the day typed before the app ran.
  await page.evaluate(() => ((window as any).sameDocument = true));
  await page.keyboard.press('Tab');
  await expect(to).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Choose the To date on a calendar' })).toBeFocused();
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?range=custom&from=2026-11-01&status=success$`));
  await page.keyboard.press('Tab');
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?range=custom&from=2026-10-05&status=success$`));
  expect(await page.evaluate(() => (window as any).sameDocument)).toBe(true);
  // A To before From is explained; mending From then applies both days on screen.
  await to.fill('1 Sep 2026');
  await to.press('Enter');
  await expect(page.getByRole('alert')).toHaveText('The From date (5 Oct 2026) is after the To date (1 Sep 2026).');
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?range=custom&from=2026-10-05&status=success$`));
  await from.fill('1 Aug 2026');
  await from.press('Enter');
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?range=custom&from=2026-08-01&to=2026-09-01&status=success$`));
  await expect(to).toHaveValue('1 Sep 2026');
  await expect(page.getByRole('alert')).toHaveCount(0);

  // A day that cannot be read, sent before the app ran: the page explains it and the
  // field still holds it, marked, to be mended there.
  const hold = await holdBackTheApp(page);
  await page.goto(`${SYNCS}?range=custom&status=success`);
  await from.fill('5 Octember 2026');
  await from.blur();
  await expect(page.getByRole('alert').filter({ hasText: 'is not a valid From date' })).toBeVisible();
  await expect(from).toHaveValue('5 Octember 2026');
  await expect(from).toHaveAttribute('aria-invalid', 'true');
  hold();
  await hydrated(page);
  await expect(from).toHaveValue('5 Octember 2026');
  await from.fill('5 Oct 2026');
  await from.press('Enter');
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?range=custom&from=2026-10-05&status=success$`));
  await expect(from).not.toHaveAttribute('aria-invalid', /./);
});

plainTest('without script, the dates show and fold with Custom, so one submit applies what the form shows', async ({ browser }) => {
  const { plain, page } = await signInWithoutScript(browser, 'org.admin@acme.example');
  await page.goto(`${SYNCS}?range=custom&from=2026-11-01&to=2026-12-02`);
  await page.getByLabel('Date range', { exact: true }).selectOption('30d');
  await expect(page.getByLabel('From', { exact: true })).toBeHidden();
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: 'Date range: Last 30 Days' })).toBeVisible();
  await expect(page.locator('table.runs tbody tr').first()).toBeVisible();
  // How long ago each run started is said by the server's page too.
  await expect(page.locator('table.runs tbody tr').first().locator('.runs__ago'))
    .toHaveText(/^(just now|\d+ min ago|\d+ h ago|1 day ago|\d+ days ago)$/);
  // Back to Custom: its dates show at once, and one submit sends them.
  await expect(page.getByLabel('To', { exact: true })).toBeHidden();
  await page.getByLabel('Date range', { exact: true }).selectOption('custom');
  await page.getByLabel('From', { exact: true }).fill('1 Oct 2026');
  await page.getByLabel('To', { exact: true }).fill('31 Oct 2026');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/range=custom&from=2026-10-01&to=2026-10-31/);
  await expect(page.getByLabel('From', { exact: true })).toBeVisible();
  await plain.close();
});

/** The ids of the runs (or other rows) a page lists, read from its HTML. */
async function listed(page: Page, attribute: string): Promise<string[]> {
  return [...(await page.content()).matchAll(new RegExp(`${attribute}="([^"]+)"`, 'g'))].map((m) => m[1]);
}

plainTest('without script, Load more and Show more entries open the next rows as pages of their own', async ({ browser }) => {
  const { plain, page } = await signInWithoutScript(browser, 'org.admin@acme.example');

  // The list: the next runs of the same filter, none of the first page's again.
  await page.goto(`${SYNCS}?status=success`);
  const first = await listed(page, 'data-run-id');
  expect(first).toHaveLength(50);
  await page.getByRole('button', { name: 'Load more' }).click();
  await expect(page).toHaveURL(/\?status=success&after=\d+\.\d+$/);
  await expect(page.locator('.count')).toContainText('Showing 50 older runs');
  await expect(page.getByRole('listitem').filter({ hasText: 'Status: Success' })).toBeVisible();
  const next = await listed(page, 'data-run-id');
  expect(next).toHaveLength(50);
  expect(next.filter((id) => first.includes(id))).toEqual([]);
  await page.getByRole('button', { name: 'Load more' }).click();
  const third = await listed(page, 'data-run-id');
  expect(third.filter((id) => first.includes(id) || next.includes(id))).toEqual([]);
  await page.getByRole('link', { name: 'Newest runs' }).click();
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?status=success$`));
  expect(await listed(page, 'data-run-id')).toEqual(first);
  // A place the page never gave (or two): said so, with the way to the newest runs.
  for (const after of ['abc', '1.1&after=2.2']) {
    const answer = await page.goto(`${SYNCS}?status=success&after=${after}`);
    expect(answer?.status()).toBe(400);
    await expect(page.getByRole('alert')).toContainText("This link's place in the list (after=) is not one the page gave.");
  }
  await page.getByRole('link', { name: 'Newest runs' }).click();
  await expect(page).toHaveURL(new RegExp(`${SYNCS}\\?status=success$`));
  // A place past every run: nothing further, and the way back.
  await page.goto(`${SYNCS}?status=success&after=-5.-5`);
  await expect(page.getByRole('heading', { name: 'No runs further down the list' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Newest runs' })).toHaveAttribute('href', `${SYNCS}?status=success`);

  // A run's log: its next entries, the search and outcome kept.
  const run = first[0];
  await page.goto(`${SYNCS}/runs/${run}?outcome=all`);
  await expect(page.locator('table.log tbody tr')).toHaveCount(50);
  await page.getByRole('button', { name: 'Show more entries' }).click();
  // The link names the last entry shown by its number in the log.
  await expect(page).toHaveURL(new RegExp(`/runs/${run}\\?outcome=all&after=50$`));
  await expect(page.locator('table.log tbody tr').first().locator('td').first()).toHaveText('51');
  await expect(page.getByText(/further down the log/)).toBeVisible();
  await page.getByRole('link', { name: 'First entries' }).click();
  await expect(page.locator('table.log tbody tr').first().locator('td').first()).toHaveText('1');
  const employeeId = (await page.locator('table.log tbody tr').first().locator('td').nth(2).innerText()).trim();
  for (const [query, message] of [
    ['after=x', "This link's place in the log (after=) is not an entry's number."],
    ['after=-1', "This link's place in the log (after=) is not an entry's number."],
    ['after=1&after=2', "This link's place in the log (after=) is not an entry's number."],
    ['search=a&search=b', 'This link gives the search more than once'],
  ]) {
    const answer = await page.goto(`${SYNCS}/runs/${run}?${query}`);
    expect(answer?.status(), query).toBe(400);
    await expect(page.getByRole('alert')).toContainText(message);
    await expect(page.getByRole('link', { name: 'Show all entries' })).toBeVisible();
  }

  // A person's timeline: older entries, none of the newest page's again.
  await page.goto(`${SYNCS}/people?q=${encodeURIComponent(employeeId)}`);
  const entries = async () =>
    [...(await page.content()).matchAll(/href="(\/admin\/user-provisioning\/runs\/\d+\?search=[^"#]*#entry-\d+)"/g)].map((m) => m[1]);
  const newest = await entries();
  expect(newest).toHaveLength(50);
  await page.getByRole('button', { name: 'Show more entries' }).click();
  await expect(page).toHaveURL(/\/people\?q=.+&after=/);
  await expect(page.getByText(/further down the timeline/)).toBeVisible();
  const older = await entries();
  expect(older.length).toBeGreaterThan(0);
  expect(older.filter((e) => newest.includes(e))).toEqual([]);
  await page.getByRole('link', { name: 'Newest entries' }).click();
  expect(await entries()).toEqual(newest);
  for (const after of ['zzz', '1.1&after=2.2']) {
    await page.goto(`${SYNCS}/people?q=${encodeURIComponent(employeeId)}&after=${after}`);
    await expect(page.getByRole('alert')).toContainText("This link's place in the timeline (after=) is not one the page gave.");
  }
  await page.getByRole('link', { name: 'Newest entries' }).click();
  expect(await entries()).toEqual(newest);
  await plain.close();
});
