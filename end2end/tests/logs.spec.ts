import { test, expect, Page, Download } from './fixtures';
import { readFile } from 'node:fs/promises';
import { signIn, hydrated, cspViolations } from './helpers';

const FILE_NAME = /^Sync Logs - \d{1,2} [A-Z][a-z]{2} \d{4} \d{1,2}\.\d{2}(am|pm)\.(csv|xlsx)$/;

async function syncsFiltered(page: Page, status: string) {
  await signIn(page, 'org.admin@acme.example');
  await page.goto(`/admin/user-provisioning?status=${status}`);
  await hydrated(page);
}

async function downloadFrom(page: Page, row: ReturnType<Page['locator']>, choice: string): Promise<Download> {
  await row.getByRole('button', { name: 'Download' }).click();
  const menu = row.getByRole('menu');
  await expect(menu).toBeVisible();
  const waiting = page.waitForEvent('download');
  await menu.getByRole('menuitem', { name: choice }).click();
  return waiting;
}

test('CSV is built in the browser with the run\'s name and every entry', async ({ page }) => {
  // The file writer is a Web Worker with a wasm module of its own, fetched when a
  // download starts.
  const refused = cspViolations(page);
  const writerModules: string[] = [];
  const workers: string[] = [];
  page.context().on('request', (r) => {
    if (/\/log-writer\/log_writer_bg\.wasm$/.test(r.url())) writerModules.push(r.url());
  });
  page.on('worker', (w) => workers.push(w.url()));
  await syncsFiltered(page, 'success');
  expect(writerModules).toHaveLength(0);
  expect(workers).toHaveLength(0);
  const row = page.locator('table.runs tbody tr').first();
  const started = (await row.locator('.runs__start a').innerText()).trim();
  const download = await downloadFrom(page, row, 'CSV');
  expect(workers).toEqual([expect.stringMatching(/\/log-writer\/worker\.js$/)]);
  expect(writerModules).toHaveLength(1);
  expect(download.suggestedFilename()).toMatch(FILE_NAME);
  // The name is the start the table shows: "15 Jan 2024, 10:30pm" → "15 Jan 2024 10.30pm".
  expect(download.suggestedFilename()).toBe(`Sync Logs - ${started.replace(',', '').replace(':', '.')}.csv`);
  // Built from a blob in the page, not fetched from a server address.
  expect(download.url()).toMatch(/^blob:/);
  const text = (await readFile((await download.path())!)).toString('utf8');
  const lines = text.replace(/^\uFEFF/, '').trim().split('\r\n');
  // The start's column names the zone its times are written in.
  expect(lines[0]).toMatch(/^Run ID,Entry,Run started \((UTC|[A-Z][A-Za-z]+\/[A-Za-z_\/+\-0-9]+)\),Configuration,Source record,Employee ID,Email,Action,Outcome,Changed fields,Message$/);
  expect(lines.length).toBeGreaterThan(1);
  const runId = await row.getAttribute('data-run-id');
  expect(lines[1]).toMatch(new RegExp(`^${runId},1,\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2},`));
  // Hydration, the writer's worker and the download all run under the page's policy.
  expect(refused).toEqual([]);
});

test('Excel (XLSX) downloads as a workbook', async ({ page }) => {
  await syncsFiltered(page, 'data_load_failed');
  const row = page.locator('table.runs tbody tr').first();
  const download = await downloadFrom(page, row, 'Excel (XLSX)');
  expect(download.suggestedFilename()).toMatch(FILE_NAME);
  expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
  const bytes = await readFile((await download.path())!);
  expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
  expect(bytes.includes(Buffer.from('xl/worksheets/sheet1.xml'))).toBe(true);
});

test('a file writer that cannot load says so, and the next download works', async ({ page }) => {
  await syncsFiltered(page, 'success');
  const writer = '**/log-writer/log_writer_bg.wasm';
  await page.context().route(writer, (r) => r.abort());
  const row = page.locator('table.runs tbody tr').first();
  await row.getByRole('button', { name: 'Download' }).click();
  await row.getByRole('menuitem', { name: 'CSV' }).click();
  await expect(row.getByRole('alert')).toContainText('The file could not be written');
  await expect(row.getByRole('button', { name: 'Download' })).toBeEnabled();

  await page.context().unroute(writer);
  const download = await downloadFrom(page, row, 'Excel (XLSX)');
  expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
  await expect(row.getByRole('alert')).toHaveCount(0);
});

test('runs without logs offer no Download; Escape closes the menu', async ({ page }) => {
  await syncsFiltered(page, 'queued,in_progress,cancelled,above_deactivation_threshold');
  const rows = page.locator('table.runs tbody tr');
  await expect(rows.first()).toBeVisible();
  await expect(page.locator('table.runs').getByRole('button', { name: 'Download' })).toHaveCount(0);

  await page.goto('/admin/user-provisioning?status=success');
  await hydrated(page);
  const button = page.locator('table.runs tbody tr').first().getByRole('button', { name: 'Download' });
  await button.click();
  await expect(page.getByRole('menuitem', { name: 'CSV' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menu')).toHaveCount(0);
  await expect(button).toHaveAttribute('aria-expanded', 'false');
});

test('a run\'s details: status, meaning, counts and a searchable log', async ({ page }) => {
  const refused = cspViolations(page);
  await syncsFiltered(page, 'needs_attention');
  const row = page.locator('table.runs tbody tr').first();
  await row.locator('.runs__start a').click();
  await expect(page).toHaveURL(/\/admin\/user-provisioning\/runs\/\d+$/);
  await hydrated(page);
  await expect(page.getByText('The sync completed with warnings.', { exact: true })).toBeVisible();
  // Who started it: the demo's runs were queued by their schedules.
  await expect(page.locator('.facts dt:has-text("Started by") + dd')).toHaveText('The schedule');
  // Its start, and how long ago that was.
  await expect(page.locator('.page-header__lead')).toHaveText(/ · started \d{1,2} [A-Z][a-z]{2} \d{4}, .* \((just now|\d+ min ago|\d+ h ago|\d+ days? ago)\)$/);
  await expect(page.getByText('Recommended action: Download logs and review warnings.')).toBeVisible();
  const records = page.getByRole('region', { name: 'Records' });
  for (const label of ['Created', 'Updated', 'Deactivated', 'Reactivated', 'Unchanged', 'Skipped', 'Warnings', 'Errors']) {
    await expect(records.getByText(label, { exact: true })).toBeVisible();
  }
  const count = page.locator('.count');
  await expect(count).toContainText(/Showing \d+ of \d+ entries/);

  // Search by a warning's action: only matching entries remain, and the URL keeps it with
  // the entries the page shows (a run with warnings opens on its warnings and errors).
  await page.getByLabel('Search the log').fill('skip');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page).toHaveURL(/\?search=skip&outcome=problems$/);
  await expect.poll(async () => [...new Set(await page.locator('table.log tbody td:nth-child(5)').allInnerTexts())]).toEqual(['Skip']);
  await page.reload();
  await expect(page.getByLabel('Search the log')).toHaveValue('skip');

  await page.getByLabel('Search the log').fill('no such text anywhere');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page.getByText('No warnings or errors match this search.')).toBeVisible();
  expect(refused).toEqual([]);
});

test('a new log search keeps the entries shown, dimmed, until its own arrive; back restores the log', async ({ page }) => {
  await syncsFiltered(page, 'needs_attention');
  await page.locator('table.runs tbody tr').first().locator('.runs__start a').click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  // The whole log (the run opens on its warnings).
  await page.getByRole('link', { name: 'Show all entries' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+\?outcome=all$/);
  await hydrated(page);
  const rows = page.locator('table.log tbody tr');
  const count = page.locator('.count');
  await expect(count).toContainText(/^Showing 50 of \d+ entries$/);
  const countBefore = await count.innerText();
  const actions = async () => [...new Set(await page.locator('table.log tbody td:nth-child(5)').allInnerTexts())];
  // A second page of the whole log, which the search must not keep.
  await page.getByRole('button', { name: 'Show more entries' }).click();
  await expect(count).toContainText(/^Showing 100 of \d+ entries$/);

  // Hold the search's answer until the test lets it go.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/api/get_run_logs*', async (route) => {
    await held;
    await route.continue();
  });
  await page.getByLabel('Search the log').fill('skip');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page).toHaveURL(/\?search=skip$/);
  const results = page.locator('.results').filter({ has: page.locator('table.log') });
  await expect(results).toHaveAttribute('aria-busy', 'true');
  await expect(results).toHaveCSS('opacity', '0.55');
  await expect(rows).toHaveCount(100);

  release();
  await expect(results).not.toHaveAttribute('aria-busy', /./);
  await expect(results).toHaveCSS('opacity', '1');
  await expect.poll(actions).toEqual(['Skip']);
  await expect(count).toHaveText(new RegExp(`^Showing ${await rows.count()} of \\d+ entries$`));

  // Back: the whole log's first page again, and an empty search box.
  await page.goBack();
  await expect(page).toHaveURL(/\/runs\/\d+\?outcome=all$/);
  await expect(page.getByLabel('Search the log')).toHaveValue('');
  await expect(count).toHaveText(countBefore);
  await expect(rows).toHaveCount(50);

  // Leaving the page stops its loop without an error (the fixture fails the test on one).
  await page.getByRole('link', { name: '← All syncs' }).click();
  await expect(page.locator('table.runs tbody tr').first()).toBeVisible();
  await page.waitForTimeout(3_000);
});

test('a run\'s log shows one outcome when asked, with the search, and explains an unknown one', async ({ page }) => {
  await syncsFiltered(page, 'needs_attention');
  await page.locator('table.runs tbody tr').first().locator('.runs__start a').click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  await hydrated(page);
  const outcomes = async () => [...new Set(await page.locator('table.log tbody td:nth-child(6)').allInnerTexts())];
  const show = page.getByLabel('Show', { exact: true });
  const search = page.getByLabel('Search the log');
  const count = page.locator('.count');
  const results = page.locator('.results').filter({ has: page.locator('table.log, .empty') });
  // The total in "Showing n of total entries", once the answer for the URL is shown.
  const total = async () => {
    await expect(results).not.toHaveAttribute('aria-busy', /./);
    return Number((await count.innerText()).match(/of (\d+) entries/)![1]);
  };
  // A run with warnings opens on its warnings and errors, says so, and leads to the rest.
  await expect(show).toHaveValue('problems');
  await expect.poll(outcomes).toEqual(['Warning']);
  const problems = await total();
  await expect(page.locator('.log-lead')).toContainText("Showing this run's warnings and errors.");
  // Its counts lead to the entries they count.
  await page.getByRole('region', { name: 'Records' }).getByRole('link', { name: /warnings: show them/ }).click();
  await expect(page).toHaveURL(/\/runs\/\d+\?outcome=warning#log-title$/);
  await expect(show).toHaveValue('warning');
  expect(await total()).toBe(problems);
  await page.getByRole('link', { name: /^See the warnings? in the log below$/ }).click();
  await expect(page).toHaveURL(/\/runs\/\d+#log-title$/);
  await expect(show).toHaveValue('problems');
  await page.locator('.log-lead').getByRole('link', { name: 'Show all entries' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+\?outcome=all$/);
  await expect(show).toHaveValue('all');
  const everything = await total();
  expect(everything).toBeGreaterThan(problems);

  // A search that the entries with an email match, then Warnings: the two travel
  // together.
  await search.fill('example');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page).toHaveURL(/\?search=example$/);
  const all = await total();
  await show.selectOption({ label: 'Warnings' });
  await expect(page).toHaveURL(/\?search=example&outcome=warning$/);
  const warnings = await total();
  expect(warnings).toBeGreaterThan(0);
  expect(warnings).toBeLessThan(all);
  await expect.poll(outcomes).toEqual(['Warning']);
  await page.reload();
  await hydrated(page);
  await expect(show).toHaveValue('warning');
  await expect(search).toHaveValue('example');
  expect(await total()).toBe(warnings);

  // No warning matches this search: clearing it keeps Warnings.
  await search.fill('no such text anywhere');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page.getByText('No warnings match this search.')).toBeVisible();
  await page.getByRole('link', { name: 'Clear the search' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+\?outcome=warning$/);
  // Every warning again (a Needs Attention run's problems are all warnings).
  expect(await total()).toBe(problems);
  await expect(show).toHaveValue('warning');

  // Errors: a Needs Attention run has none; "Show all entries" is the way back.
  await show.selectOption({ label: 'Errors' });
  await expect(page).toHaveURL(/\?outcome=error$/);
  await expect(page.getByText('This log has no errors.')).toBeVisible();
  await page.getByRole('link', { name: 'Show all entries' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+\?outcome=all$/);
  expect(await total()).toBe(everything);
  // A deactivation names no source row (the person left the source): "row" finds the rest.
  expect(all).toBeLessThanOrEqual(everything);

  // An address with an outcome the page does not know says so and offers the whole log.
  await page.goto(page.url().replace(/\?.*$/, '') + '?outcome=maybe');
  await hydrated(page);
  await expect(show).toHaveValue('all');
  await expect(page.getByRole('alert')).toContainText('only OK entries, warnings or errors');
  await page.getByRole('link', { name: 'Show all entries' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+\?outcome=all$/);
  expect(await total()).toBe(everything);
});

test('a blocked run shows its planned deactivations against the threshold', async ({ page }) => {
  await syncsFiltered(page, 'above_deactivation_threshold');
  await page.locator('table.runs tbody tr').first().locator('.runs__start a').click();
  const panel = page.getByRole('region', { name: 'Deactivation threshold' });
  await expect(panel).toContainText(/planned \d+ deactivations/);
  await expect(panel).toContainText('the configuration allows at most');
  // Said once by the status (and by the run's reason), not again by the panel.
  await expect(panel).not.toContainText('Nothing was changed');
  // The run's reason does not say it again under the status's meaning.
  const status = await page.getByRole('region', { name: 'Status', exact: true }).innerText();
  expect(status.split('Nothing was changed').length - 1).toBe(1);
  // Who would have been deactivated: listed to read, not to download.
  const planned = page.getByRole('region', { name: 'Planned deactivations' });
  await expect(planned).toContainText('Not applied');
  await expect(planned.getByRole('button', { name: 'Download' })).toHaveCount(0);
  const rows = planned.locator('table.log tbody tr');
  await expect(rows.first()).toBeVisible();
  const count = await rows.count();
  for (let i = 0; i < count; i++) {
    await expect(rows.nth(i).locator('td').nth(4)).toHaveText('Deactivate');
    // Not "OK" nor "User deactivated": what it would have done, and that it did not.
    await expect(rows.nth(i).locator('td').nth(5)).toHaveText('Not applied');
    await expect(rows.nth(i).locator('td').nth(6)).toContainText('Not applied: the run was blocked');
    await expect(rows.nth(i).locator('td').nth(6)).not.toContainText('Changed:');
  }
  // None was applied, so there is no outcome to choose; a link that asks for one says so.
  await expect(planned.getByLabel('Show', { exact: true })).toHaveCount(0);
  const asked = new URL(page.url());
  asked.searchParams.set('outcome', 'ok');
  await page.goto(asked.toString());
  await expect(page.getByRole('alert')).toContainText('none of its planned deactivations was applied');
  await page.getByRole('link', { name: 'Show all entries' }).click();
  await expect(rows.first()).toBeVisible();
  // One of them: their history marks the planned deactivation as not applied, and leads
  // back to its row here.
  const employeeId = (await rows.first().locator('td').nth(2).innerText()).trim();
  const runId = new URL(page.url()).pathname.split('/').pop();
  await rows.first().getByRole('link', { name: 'History of this person' }).click();
  await expect(page).toHaveURL(/\/people\?q=/);
  await hydrated(page);
  // The timeline is newest first: older pages until this run's entry is shown.
  const notApplied = page.locator(`table tbody tr.log__row--not-applied[data-run-id="${runId}"]`);
  const more = page.getByRole('button', { name: 'Show more entries' });
  for (let i = 0; i < 40 && (await notApplied.count()) === 0; i++) {
    await more.click();
    // Loaded: the button is back for the next page, or gone after the last one.
    await expect(page.getByRole('button', { name: 'Loading…' })).toHaveCount(0);
  }
  await expect(notApplied).toContainText('Not applied');
  await notApplied.getByRole('link').first().click();
  await expect(page).toHaveURL(new RegExp(`/runs/${runId}\\?search=.*#entry-\\d+$`));
  await expect(page.locator('table.log tbody tr[data-target="true"]')).toContainText(employeeId);
});

test('an unknown run and another organisation\'s run are not found', async ({ page }) => {
  await signIn(page, 'org.admin@globex.example');
  const response = await page.goto('/admin/user-provisioning/runs/1');
  // Run 1 belongs to Acme in the demo data (or does not exist): either way, not found.
  expect(response!.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Sync run not found' })).toBeVisible();
});
