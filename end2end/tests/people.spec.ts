import { test, expect, Page, Download } from './fixtures';
import { readFile } from 'node:fs/promises';
import { signIn, hydrated } from './helpers';

const TIMELINE_HEADERS = ['Run started', 'Source', 'Configuration', 'Action', 'Changes', 'Message'];

/** Someone a successful run of Acme logged: their email and Employee ID, from a run's log. */
async function someoneLogged(page: Page): Promise<{ email: string; employeeId: string }> {
  await page.goto('/admin/user-provisioning?status=success');
  await hydrated(page);
  const id = await page.locator('table.runs tbody tr').first().getAttribute('data-run-id');
  await page.goto(`/admin/user-provisioning/runs/${id}`);
  await hydrated(page);
  const row = page.locator('table.log tbody tr').first();
  const cells = row.locator('td');
  return { employeeId: (await cells.nth(2).innerText()).trim(), email: (await cells.nth(3).innerText()).trim() };
}

async function downloadTimeline(page: Page, choice: string): Promise<Download> {
  const timeline = page.locator('section', { has: page.getByRole('heading', { name: 'Timeline' }) });
  await timeline.getByRole('button', { name: 'Download' }).click();
  const waiting = page.waitForEvent('download');
  await timeline.getByRole('menuitem', { name: choice }).click();
  return waiting;
}

test('find a person from the Syncs page, follow their timeline to a run and back, download it', async ({ page }) => {
  await signIn(page, 'org.admin@acme.example');
  const { email, employeeId } = await someoneLogged(page);

  // The search on the Syncs page opens their history; the search is in the URL.
  await page.goto('/admin/user-provisioning');
  await hydrated(page);
  await page.getByLabel('Find a person').fill(email.toUpperCase());
  await page.getByLabel('Find a person').press('Enter');
  await expect(page).toHaveURL(/\/admin\/user-provisioning\/people\?q=/);
  expect(new URL(page.url()).searchParams.get('q')).toBe(email.toUpperCase());
  await expect(page.getByRole('heading', { level: 1, name: 'Person history' })).toBeVisible();
  const table = page.getByRole('region', { name: 'Timeline' }).locator('table');
  await expect(table).toBeVisible();
  await expect(table.locator('thead th')).toHaveText(TIMELINE_HEADERS);
  const rows = table.locator('tbody tr');
  expect(await rows.count()).toBeGreaterThan(0);
  await expect(page.locator('.person')).toContainText(email);
  await expect(page.locator('.person')).toContainText(employeeId);

  // A reload keeps the search.
  await page.reload();
  await hydrated(page);
  await expect(rows.first()).toBeVisible();

  // A row leads to its run's details with the entry in view; back returns here.
  const first = table.locator('tbody tr:not(.log__row--not-applied)').first();
  const runId = await first.getAttribute('data-run-id');
  await first.getByRole('link').first().click();
  await expect(page).toHaveURL(new RegExp(`/admin/user-provisioning/runs/${runId}\\?search=.*#entry-\\d+$`));
  // Shown and marked whether the browser followed the link or the app did.
  const target = page.locator('table.log tbody tr[data-target="true"]');
  await expect(target).toBeVisible();
  await expect(target).toContainText(email);
  await page.goBack();
  await expect(page).toHaveURL(/\/people\?q=/);
  await expect(page.getByRole('region', { name: 'Timeline' }).locator('tbody tr').first()).toBeVisible();
  await hydrated(page);

  // Both downloads, named after the person and the time, built in the browser.
  const csv = await downloadTimeline(page, 'CSV');
  expect(csv.suggestedFilename()).toMatch(
    new RegExp(`^Person History - ${email.replace(/[.]/g, '\\.')} - \\d{1,2} [A-Z][a-z]{2} \\d{4} \\d{1,2}\\.\\d{2}(am|pm)\\.csv$`),
  );
  expect(csv.url()).toMatch(/^blob:/);
  const text = (await readFile((await csv.path())!)).toString('utf8');
  const lines = text.replace(/^\uFEFF/, '').trim().split('\r\n');
  // The start's column names the zone its times are written in.
  expect(lines[0]).toMatch(/^Run ID,Entry,Run started \((UTC|[A-Z][A-Za-z]+\/[A-Za-z_\/+\-0-9]+)\),Configuration,Source record,Employee ID,Email,Action,Outcome,Changed fields,Message$/);
  expect(lines.length - 1).toBeGreaterThanOrEqual(await page.getByRole('region', { name: 'Timeline' }).locator('tbody tr').count());
  // Each row is theirs: by email, or by Employee ID where the source gave the record
  // another email (a skipped record's).
  expect(lines.slice(1).filter((l) => !l.includes(email) && !l.includes(employeeId))).toEqual([]);
  // Each row names its run: the first is the timeline's newest entry's.
  const newest = await page.getByRole('region', { name: 'Timeline' }).locator('tbody tr').first().getAttribute('data-run-id');
  expect(lines[1].split(',')[0]).toBe(newest);
  const xlsx = await downloadTimeline(page, 'Excel (XLSX)');
  expect(xlsx.suggestedFilename()).toMatch(/^Person History - .* - .*\.xlsx$/);
  const bytes = await readFile((await xlsx.path())!);
  expect(bytes.subarray(0, 2).toString()).toBe('PK');
});

test('a run\'s log entry opens its person\'s history; a prefix lists people to choose from', async ({ page }) => {
  await signIn(page, 'people.admin@acme.example');
  const { employeeId } = await someoneLogged(page);
  await page.getByRole('link', { name: 'History of this person' }).first().click();
  await expect(page).toHaveURL(/\/people\?q=/);
  expect(new URL(page.url()).searchParams.get('q')).toBe(employeeId);
  await expect(page.locator('.person')).toContainText(employeeId);

  // The start of an Employee ID: several people, each a link to their history.
  const prefix = employeeId.slice(0, employeeId.length - 1);
  await hydrated(page);
  await page.getByLabel('Find a person').fill(prefix);
  await page.getByLabel('Find a person').press('Enter');
  const found = page.getByRole('region', { name: 'People found' });
  await expect(found).toBeVisible();
  await expect(found.locator('thead th')).toHaveText(['Name', 'Email', 'Employee ID', 'In the directory']);
  expect(await found.locator('tbody tr').count()).toBeGreaterThan(1);
  const chosen = (await found.locator('tbody tr').nth(1).locator('td').nth(2).innerText()).trim();
  await found.locator('tbody tr').nth(1).getByRole('link').click();
  await expect(page.locator('.person')).toContainText(chosen);

  // Someone who is no one here, and a search that is too long: said plainly.
  await page.getByLabel('Find a person').fill('nobody.at.all@acme.example');
  await page.getByLabel('Find a person').press('Enter');
  await expect(page.getByText(/No one in your organisation's sync logs/)).toBeVisible();
  await page.goto(`/admin/user-provisioning/people?q=${'a'.repeat(300)}`);
  await expect(page.getByRole('alert')).toContainText('at most 254 characters');
});

test('the search works before the page\'s code has loaded', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: true });
  const page = await context.newPage();
  await signIn(page, 'org.admin@acme.example');
  const { email } = await someoneLogged(page);
  // The same session without scripts: the plain form still gets there.
  const cookies = await context.cookies();
  const bare = await browser.newContext({ javaScriptEnabled: false });
  await bare.addCookies(cookies);
  const plain = await bare.newPage();
  await plain.goto('/admin/user-provisioning');
  await plain.getByLabel('Find a person').fill(email);
  await plain.getByRole('button', { name: 'Find' }).click();
  await expect(plain).toHaveURL(/\/people\?q=/);
  await expect(plain.getByRole('region', { name: 'Timeline' }).locator('tbody tr').first()).toBeVisible();
  await bare.close();
  await context.close();
});
