import { test, expect, Page } from './fixtures';
import { signIn, hydrated, statusChoices, STATUS_LABELS, signInWithoutScript } from './helpers';

/** Waits until the cells matched by `selector` hold exactly the given distinct texts. */
async function expectOnly(page: Page, selector: string, values: string[]) {
  await expect
    .poll(async () => [...new Set(await page.locator(selector).allInnerTexts())].sort())
    .toEqual([...values].sort());
}

const total = async (page: Page) => Number((await page.locator('.count').innerText()).match(/of (\d+) runs/)![1]);

async function ready(page: Page) {
  await signIn(page, 'org.admin@acme.example');
  await hydrated(page);
}

test('each control narrows the list and lives in the URL', async ({ page }) => {
  await ready(page);
  const all = await total(page);

  await page.getByLabel('Date range').selectOption({ label: 'Last 7 Days' });
  await expect(page).toHaveURL(/\?range=7d$/);
  await expect.poll(() => total(page)).toBeLessThan(all);
  await expect(page.getByRole('listitem').filter({ hasText: 'Date range: Last 7 Days' })).toBeVisible();

  await page.getByLabel('Sort order').selectOption({ label: 'Oldest first' });
  await expect(page).toHaveURL(/sort=oldest/);

  await page.getByLabel('Configuration').selectOption('Workday – Global HR');
  await expect(page).toHaveURL(/config=Workday/);
  await expectOnly(page, 'table.runs tbody tr td:nth-child(2)', ['Workday']);

  const statusGroup = (await statusChoices(page));
  await statusGroup.getByLabel('Success').check();
  await expect(page).toHaveURL(/status=success/);
  await expectOnly(page, 'table.runs tbody .status', ['Success']);

  // The page never reloaded: the hydration mark set by the first load is still there.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
});

test('Source narrows the runs and the Configuration list, and lives in the URL', async ({ page }) => {
  await ready(page);
  const all = await total(page);
  const source = page.getByLabel('Source', { exact: true });
  const configuration = page.getByLabel('Configuration', { exact: true });
  await expect(source.locator('option')).toHaveText(['All sources', 'Google Workspace', 'Workday', 'SFTP Sync']);
  const everyConfiguration = await configuration.locator('option').allInnerTexts();

  await source.selectOption({ label: 'Workday' });
  await expect(page).toHaveURL(/\?source=workday$/);
  await expect(page.getByRole('listitem').filter({ hasText: 'Source: Workday' })).toBeVisible();
  await expectOnly(page, 'table.runs tbody tr td:nth-child(2)', ['Workday']);
  const workday = await total(page);
  expect(workday).toBeGreaterThan(0);
  expect(workday).toBeLessThan(all);
  // Only the source's configurations are offered.
  await expect(configuration.locator('option')).toHaveText(['All configurations', 'Workday – Global HR (Workday)']);

  // Its one configuration covers the same runs.
  await configuration.selectOption('Workday – Global HR');
  await expect(page).toHaveURL(/\?source=workday&config=Workday/);
  await expect.poll(() => total(page)).toBe(workday);

  // Another source drops a configuration that is not its own.
  await source.selectOption({ label: 'SFTP Sync' });
  await expect(page).toHaveURL(/\?source=sftp$/);
  await expect(configuration).toHaveValue('');
  await expectOnly(page, 'table.runs tbody tr td:nth-child(2)', ['SFTP Sync']);
  // Both of the organisation's SFTP configurations are offered.
  await expect(configuration.locator('option')).toHaveText([
    'All configurations',
    'Contractors (SFTP) (SFTP Sync)',
    'HR export drop folder (SFTP Sync)',
  ]);
  const sftp = await total(page);

  // A source that keeps the configuration chosen: the control still shows it while the
  // list narrows around it.
  await source.selectOption('');
  await expect(page).toHaveURL(/\/admin\/user-provisioning$/);
  await configuration.selectOption('Google Workspace – acme.example');
  await expect(page).toHaveURL(/\?config=Google/);
  await configuration.selectOption('HR export drop folder');
  await expect(page).toHaveURL(/\?config=HR\+export/);
  await source.selectOption({ label: 'SFTP Sync' });
  await expect(page).toHaveURL(/\?source=sftp&config=HR\+export/);
  await expect(configuration.locator('option')).toHaveCount(3);
  await expect(configuration).toHaveValue('HR export drop folder');
  await expect(source).toHaveValue('sftp');
  await page.getByRole('link', { name: 'Remove filter Configuration: HR export drop folder' }).click();
  await expect(page).toHaveURL(/\?source=sftp$/);
  await expect(configuration).toHaveValue('');

  // Reload keeps it; the pill removes it.
  await page.reload();
  await hydrated(page);
  await expect(source).toHaveValue('sftp');
  await expect.poll(() => total(page)).toBe(sftp);
  await page.getByRole('link', { name: 'Remove filter Source: SFTP Sync' }).click();
  await expect(page).toHaveURL(/\/admin\/user-provisioning$/);
  await expect(source).toHaveValue('');
  await expect.poll(() => total(page)).toBe(all);
  await expect(configuration.locator('option')).toHaveText(everyConfiguration);

  // A shared link naming a configuration of another source than its own says so, and
  // keeps the source.
  const crossed = await page.goto('/admin/user-provisioning?source=google_workspace&config=Workday+%E2%80%93+Global+HR');
  expect(crossed?.status()).toBe(400);
  const alert = page.getByRole('alert').filter({ hasText: 'cannot be used' });
  await expect(alert.getByRole('listitem')).toHaveText([
    'The configuration "Workday – Global HR" imports from Workday, not Google Workspace. Choose one of the Google Workspace configurations, or All sources.',
  ]);
  await hydrated(page);
  await expect(source).toHaveValue('google_workspace');
  await expect(configuration).toHaveValue('');
  await alert.getByRole('link', { name: 'Keep the filters that work' }).click();
  await expect(page).toHaveURL(/\?source=google_workspace$/);
  await expectOnly(page, 'table.runs tbody tr td:nth-child(2)', ['Google Workspace']);
});

test('a shared link to a source the organisation does not use still shows it, and another can be chosen', async ({ page }) => {
  await signIn(page, 'org.admin@globex.example');
  await page.goto('/admin/user-provisioning?source=workday');
  await hydrated(page);
  const source = page.getByLabel('Source', { exact: true });
  await expect(source.locator('option')).toHaveText(['All sources', 'Workday', 'SFTP Sync']);
  await expect(source).toHaveValue('workday');
  await expect(page.getByRole('heading', { name: 'No runs match these filters' })).toBeVisible();
  await source.selectOption({ label: 'SFTP Sync' });
  await expect(page).toHaveURL(/\?source=sftp$/);
  await expect(source).toHaveValue('sftp');
  await expect(source.locator('option')).toHaveText(['All sources', 'SFTP Sync']);
  await expectOnly(page, 'table.runs tbody tr td:nth-child(2)', ['SFTP Sync']);
});

test('while a filter loads, the runs shown stay in place, dimmed, until its own arrive', async ({ page }) => {
  await ready(page);
  const rows = page.locator('table.runs tbody tr');
  const before = await rows.count();
  // Hold the next list answer until the test lets it go.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/api/list_sync_runs*', async (route) => {
    await held;
    await route.continue();
  });
  await (await statusChoices(page)).getByLabel('Data Load Failed').check();
  await expect(page).toHaveURL(/status=data_load_failed/);
  const results = page.locator('.results').filter({ has: page.locator('table.runs') });
  await expect(results).toHaveAttribute('aria-busy', 'true');
  await expect(results).toHaveCSS('opacity', '0.55');
  await expect(rows).toHaveCount(before);
  await expect(page.getByRole('button', { name: 'Load more' })).toBeVisible();

  release();
  await expect(results).not.toHaveAttribute('aria-busy', /./);
  await expect(results).toHaveCSS('opacity', '1');
  await expectOnly(page, 'table.runs tbody .status', ['Data Load Failed']);
});

test('a pill removes its filter and Clear filters resets all', async ({ page }) => {
  await ready(page);
  await page.goto('/admin/user-provisioning?range=30d&status=success,needs_attention');
  await hydrated(page);
  await expect((await statusChoices(page)).getByLabel('Needs Attention')).toBeChecked();
  // A click elsewhere folds the statuses again, as it closes a menu.
  await page.getByRole('heading', { name: 'User Provisioning', level: 1 }).click();
  await expect(page.getByRole('group', { name: 'Status' })).toBeHidden();
  await page.getByRole('link', { name: 'Remove filter Status: Success' }).click();
  await expect(page).toHaveURL(/\?range=30d&status=needs_attention$/);
  await expectOnly(page, 'table.runs tbody .status', ['Needs Attention']);

  await page.getByRole('link', { name: 'Clear filters' }).first().click();
  await expect(page).toHaveURL(/\/admin\/user-provisioning$/);
  await expect(page.getByLabel('Date range')).toHaveValue('all');
  await expect(page.getByRole('link', { name: 'Clear filters' })).toHaveCount(0);
});

test('reload, back and a shared link restore the same view', async ({ page, context }) => {
  await ready(page);
  await page.getByLabel('Date range').selectOption({ label: 'Custom' });
  await expect(page).toHaveURL(/range=custom$/);
  await expect(page.getByRole('listitem').filter({ hasText: 'Date range: Custom' })).toBeVisible();
  // Days are typed as the page writes them; a typed day applies when its field is left.
  await page.getByLabel('From', { exact: true }).fill('1 Jan 2020');
  await page.getByLabel('From', { exact: true }).blur();
  await expect(page).toHaveURL(/range=custom&from=2020-01-01/);
  await expect(page.getByRole('listitem').filter({ hasText: 'Date range: From 1 Jan 2020' })).toBeVisible();
  await (await statusChoices(page)).getByLabel('Data Load Failed').check();
  await expect(page).toHaveURL(/status=data_load_failed/);
  await expectOnly(page, 'table.runs tbody .status', ['Data Load Failed']);
  const url = page.url();
  const count = await total(page);

  await page.reload();
  await expect(page.getByLabel('From', { exact: true })).toHaveValue('1 Jan 2020');
  await expect((await statusChoices(page)).getByLabel('Data Load Failed')).toBeChecked();
  await expect.poll(() => total(page)).toBe(count);

  await page.goBack();
  await expect(page).toHaveURL(/range=custom&from=2020-01-01$/);
  await expect((await statusChoices(page)).getByLabel('Data Load Failed')).not.toBeChecked();

  const other = await context.newPage();
  await other.goto(url);
  await expect(other.getByRole('listitem').filter({ hasText: 'Status: Data Load Failed' })).toBeVisible();
  await expect.poll(() => total(other)).toBe(count);
});

test('bad filters in the URL get a clear message and a way out', async ({ page }) => {
  await ready(page);
  for (const [query, message] of [
    ['status=bogus', '"bogus" is not a sync status.'],
    ['range=custom&from=2024-02-01&to=2024-01-01', 'is after the To date'],
    ['config=No+such+thing', 'There is no configuration named "No such thing"'],
    ['source=csv', '"csv" is not a source. Choose Google Workspace, Workday or SFTP Sync.'],
    ['config=%00', 'A configuration name has no control characters'],
  ]) {
    const response = await page.goto(`/admin/user-provisioning?${query}`);
    expect(response?.status()).toBeLessThan(500);
    await expect(page.getByRole('alert').first()).toContainText(message);
  }
  await hydrated(page);
  await page.getByRole('alert').getByRole('link', { name: 'Clear filters' }).click();
  await expect(page).toHaveURL(/\/admin\/user-provisioning$/);
  await expect(page.locator('table.runs tbody tr').first()).toBeVisible();
});

test('a day is typed as the page writes it, or picked on the browser\'s calendar', async ({ page }) => {
  await ready(page);
  await page.getByLabel('Date range').selectOption({ label: 'Custom' });
  const from = page.getByLabel('From', { exact: true });
  const to = page.getByLabel('To', { exact: true });
  await expect(from).toHaveAttribute('placeholder', '15 Jan 2024');
  // The button opens the browser's calendar for its field (a native picker, closed again).
  await page.getByRole('button', { name: 'Choose the From date on a calendar' }).click();
  await page.keyboard.press('Escape');
  // A day picked there fills the field, in the page's way of writing days.
  await page.locator('#filter-from-calendar').fill('2026-10-05');
  await expect(page).toHaveURL(/range=custom&from=2026-10-05$/);
  await expect(from).toHaveValue('5 Oct 2026');
  // The To calendar starts no earlier than From.
  await expect(page.locator('#filter-to-calendar')).toHaveAttribute('min', '2026-10-05');
  // Other ways people write a day are read too; Enter applies it.
  await to.fill('October 20, 2026');
  await to.press('Enter');
  await expect(page).toHaveURL(/range=custom&from=2026-10-05&to=2026-10-20$/);
  await expect(to).toHaveValue('20 Oct 2026');
  await expect(page.getByRole('listitem').filter({ hasText: 'Date range: 5 Oct 2026 – 20 Oct 2026' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('dates the controls cannot apply are marked, and the mark goes when they can', async ({ page }) => {
  await ready(page);
  await page.getByLabel('Date range').selectOption({ label: 'Custom' });
  await page.getByLabel('To', { exact: true }).fill('Jan 1, 2024');
  await page.getByLabel('To', { exact: true }).press('Enter');
  await expect(page).toHaveURL(/to=2024-01-01/);
  await expect(page.getByLabel('To', { exact: true })).toHaveValue('1 Jan 2024');
  const from = page.getByLabel('From', { exact: true });
  // A day the field cannot read is explained, and changes nothing.
  await from.fill('01/02/2024');
  await from.blur();
  await expect(page.getByRole('alert')).toHaveText('"01/02/2024" is not a valid From date; write it as 15 Jan 2024.');
  await expect(from).toHaveAttribute('aria-invalid', 'true');
  // Only the field that holds it is marked.
  const to = page.getByLabel('To', { exact: true });
  await expect(to).not.toHaveAttribute('aria-invalid', /./);
  await expect(page).toHaveURL(/range=custom&to=2024-01-01$/);
  // A second one is explained and marked at once, beside the first.
  await to.fill('32 Jan 2024');
  await to.blur();
  await expect(page.getByRole('alert')).toHaveText('"01/02/2024" is not a valid From date; write it as 15 Jan 2024. "32 Jan 2024" is not a valid To date; write it as 15 Jan 2024.');
  await expect(to).toHaveAttribute('aria-invalid', 'true');
  await expect(from).toHaveAttribute('aria-invalid', 'true');
  // Another control applies, and the days that cannot be read stay explained.
  await page.getByLabel('Sort order', { exact: true }).selectOption('oldest');
  await expect(page).toHaveURL(/range=custom&to=2024-01-01&sort=oldest$/);
  await expect(page.getByRole('alert')).toContainText('"32 Jan 2024" is not a valid To date');
  await page.getByLabel('Sort order', { exact: true }).selectOption('newest');
  await expect(page).toHaveURL(/range=custom&to=2024-01-01$/);
  await to.fill('1 Jan 2024');
  await to.blur();
  await expect(page.getByRole('alert')).toHaveText('"01/02/2024" is not a valid From date; write it as 15 Jan 2024.');
  await expect(to).not.toHaveAttribute('aria-invalid', /./);
  await from.fill('1 Feb 2024');
  await from.blur();
  await expect(page.getByRole('alert')).toHaveText('The From date (1 Feb 2024) is after the To date (1 Jan 2024).');
  // Both dates are named as the problem's, and it describes them to a screen reader.
  for (const field of [from, page.getByLabel('To', { exact: true })]) {
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    await expect(field).toHaveAccessibleDescription(/is after the To date/);
  }
  await expect(page).toHaveURL(/range=custom&to=2024-01-01$/);
  await from.fill('1 Dec 2023');
  await from.blur();
  await expect(page).toHaveURL(/from=2023-12-01&to=2024-01-01/);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(from).not.toHaveAttribute('aria-invalid', /./);
});

test('a link with From after To keeps both dates in the controls, marked, to be mended there', async ({ page, browser }) => {
  const link = '/admin/user-provisioning?range=custom&from=2024-02-01&to=2024-01-01&sort=oldest';
  const from = page.getByLabel('From', { exact: true });
  const to = page.getByLabel('To', { exact: true });
  await ready(page);
  await page.goto(link);
  await hydrated(page);
  await expect(page.getByRole('alert').first()).toContainText('is after the To date');
  await expect(from).toHaveValue('1 Feb 2024');
  await expect(to).toHaveValue('1 Jan 2024');
  for (const field of [from, to]) {
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    await expect(field).toHaveAccessibleDescription(/is after the To date/);
  }
  // The pills are the filters in use: the order, never the dates that cannot be used.
  const pills = page.getByRole('list', { name: 'Active filters' });
  await expect(pills.getByRole('listitem').filter({ hasText: 'Sort order: Oldest first' })).toBeVisible();
  await expect(pills.getByRole('listitem').filter({ hasText: '2024' })).toHaveCount(0);
  await from.fill('1 Dec 2023');
  await from.blur();
  await expect(page).toHaveURL(/range=custom&from=2023-12-01&to=2024-01-01&sort=oldest/);
  await expect(from).not.toHaveAttribute('aria-invalid', /./);
  await expect(page.locator('#filter-problem')).toHaveCount(0);

  // Without script, the server's form holds them too.
  const { plain, page: bare } = await signInWithoutScript(browser, 'org.admin@acme.example');
  await bare.goto(link);
  await expect(bare.getByLabel('From', { exact: true })).toHaveValue('1 Feb 2024');
  await expect(bare.getByLabel('To', { exact: true })).toHaveValue('1 Jan 2024');
  await expect(bare.getByLabel('From', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await bare.getByLabel('From', { exact: true }).fill('1 Dec 2023');
  await bare.getByRole('button', { name: 'Apply filters' }).click();
  // The form sends the days as typed; the server answers with the page's own link.
  await expect(bare).toHaveURL(/from=2023-12-01&to=2024-01-01/);
  await expect(bare.getByRole('list', { name: 'Active filters' })).toContainText('Date range: 1 Dec 2023 – 1 Jan 2024');
  await expect(bare.getByLabel('From', { exact: true })).not.toHaveAttribute('aria-invalid', /./);
  await plain.close();
});

test('status labels in the filter are exact', async ({ page }) => {
  await ready(page);
  const group = (await statusChoices(page));
  for (const label of STATUS_LABELS) {
    await expect(group.getByLabel(label, { exact: true })).toBeVisible();
  }
});

test('a status is chosen by pressing its name, held or not', async ({ page }) => {
  await ready(page);
  await page.locator('summary.status-picker__button').click();
  // A press held on the label's text: focus goes to the page around the picker, which
  // must not fold it under the pointer.
  const box = (await page.locator('label[for=filter-status-success]').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.waitForTimeout(300);
  await page.mouse.up();
  await expect(page).toHaveURL(/\?status=success$/);
  await expect(page.locator('details.status-picker')).toHaveAttribute('open', '');
  // A click elsewhere still folds it.
  await page.getByRole('heading', { level: 1 }).click();
  await expect(page.locator('details.status-picker')).not.toHaveAttribute('open', /.*/);
});
