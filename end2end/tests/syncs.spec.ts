import { test, expect } from './fixtures';
import { signIn, hydrated, STATUS_LABELS } from './helpers';

test.describe('Organisation Admin', () => {
  test('signs in and sees Acme sync history and nothing of Globex', async ({ page }) => {
    await signIn(page, 'org.admin@acme.example');
    await expect(page).toHaveURL(/\/admin\/user-provisioning$/);
    const nav = page.getByRole('navigation', { name: 'Admin Panel' });
    await expect(nav.getByText('Blink Identity')).toBeVisible();
    await expect(nav.getByRole('link', { name: 'User Provisioning' })).toBeVisible();
    await expect(page.getByRole('heading', { level: 1, name: 'User Provisioning' })).toBeVisible();

    const table = page.locator('table.runs');
    for (const header of ['Start time', 'Source', 'Configuration', 'Status', 'Duration']) {
      await expect(table.getByRole('columnheader', { name: header, exact: true })).toBeVisible();
    }
    const rows = table.locator('tbody tr');
    await expect(rows).toHaveCount(50);
    await expect(table).toContainText('Google Workspace – acme.example');
    await expect(table).toContainText('Workday');
    await expect(page.locator('body')).not.toContainText('Globex');
    await expect(page.locator('body')).not.toContainText('Initech');

    // Newest first: the still-running and queued runs lead the list.
    const firstStatuses = await rows.locator('.status').allInnerTexts();
    expect(firstStatuses.slice(0, 2).sort()).toEqual(['In Progress', 'Queued']);
    for (const label of firstStatuses) expect(STATUS_LABELS).toContain(label);
    const running = rows.filter({ has: page.locator('.status', { hasText: 'In Progress' }) }).first();
    await expect(running.getByRole('progressbar')).toBeVisible();
  });

  test('loads more runs in the browser after hydration', async ({ page }) => {
    await signIn(page, 'people.admin@acme.example');
    await hydrated(page);
    const count = page.locator('.count');
    await expect(count).toContainText(/Showing 50 of \d+ runs/);
    const total = Number((await count.innerText()).match(/of (\d+) runs/)![1]);
    expect(total).toBeGreaterThan(100);
    await page.locator('button.load-more[data-interactive="true"]').waitFor();
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect(page.locator('table.runs tbody tr')).toHaveCount(100);
    await expect(count).toContainText(`Showing 100 of ${total} runs`);
  });

  test("a run's details lead back to the list as it was filtered", async ({ page, context }) => {
    await signIn(page, 'org.admin@acme.example');
    await page.goto('/admin/user-provisioning?status=success&sort=oldest');
    await hydrated(page);
    const asked: string[] = [];
    page.on('request', (r) => {
      if (/\/api\/(list_sync_runs|sync_runs_chart)/.test(r.url())) asked.push(r.url());
    });
    await page.locator('table.runs tbody tr .runs__start a').first().click();
    await expect(page).toHaveURL(/\/runs\/\d+$/);
    await expect(page.locator('.detail-status .status')).toBeVisible();
    expect(asked, 'the list left behind loads nothing more').toEqual([]);
    await page.getByRole('link', { name: '← All syncs' }).click();
    await expect(page).toHaveURL(/\/admin\/user-provisioning\?status=success&sort=oldest$/);
    await expect(page.locator('.pill', { hasText: 'Success' })).toBeVisible();
    // Reloaded, or opened again in this tab, a run's details still lead back there.
    const run = await page.locator('table.runs tbody tr .runs__start a').first().getAttribute('href') as string;
    await page.goto(run);
    await page.reload();
    await hydrated(page);
    await expect(page.getByRole('link', { name: '← All syncs' }))
      .toHaveAttribute('href', '/admin/user-provisioning?status=success&sort=oldest');
    // In a new tab, which has seen no list, they lead to the whole list.
    const other = await context.newPage();
    await other.goto(run);
    await hydrated(other);
    await expect(other.getByRole('link', { name: '← All syncs' })).toHaveAttribute('href', '/admin/user-provisioning');
  });

  test('explains each status on focus', async ({ page }) => {
    await signIn(page, 'org.admin@acme.example');
    const badge = page.locator('.status', { hasText: 'In Progress' }).first();
    await badge.focus();
    const tip = page.getByRole('tooltip').filter({ hasText: 'The sync is currently running.' }).first();
    await expect(tip).toBeVisible();
    await expect(tip).toContainText('No action required.');
  });

  test('shows start times in the viewer time zone', async ({ browser }) => {
    const context = await browser.newContext({ timezoneId: 'Asia/Tokyo' });
    const page = await context.newPage();
    await signIn(page, 'org.admin@acme.example');
    await expect(page.locator('table.runs')).toContainText('Times are shown in Tokyo time (UTC+09:00)');
    // Beside each start, once the page runs, how long ago it was; it keeps up by itself.
    const ago = page.locator('table.runs tbody tr').nth(5).locator('.runs__ago');
    await expect(ago).toHaveText(/^(just now|\d+ min ago|\d+ h ago|1 day ago|\d+ days ago)$/);
    await context.close();
  });

  test('each finished row says in one line what happened', async ({ page }) => {
    await signIn(page, 'org.admin@acme.example');
    const firstSummary = () => page.locator('table.runs tbody tr').first().locator('.runs__summary');
    await page.goto('/admin/user-provisioning?status=above_deactivation_threshold');
    await expect(firstSummary()).toHaveText(/^\d+ deactivations planned; the threshold is \d+ users or \d+% of the \d+ active users this sync manages\.$/);
    await page.goto('/admin/user-provisioning?status=data_load_failed');
    // A failed load's own reason, in its first sentence (the demo's, like the engine's).
    await expect(firstSummary()).toHaveText(/^(Google Workspace|Workday|SFTP Sync): .+\.$/);
    await page.goto('/admin/user-provisioning?status=success');
    await expect(firstSummary()).toHaveText(/^(No changes|\d+ (created|updated|deactivated|reactivated)(, \d+ (created|updated|deactivated|reactivated))*)$/);
    await page.goto('/admin/user-provisioning?status=needs_attention');
    await expect(firstSummary()).toHaveText(/^(\d+ errors?, )?(\d+ warnings?, )?/);
    await expect(firstSummary()).toHaveText(/(error|warning|skipped)/);
    await page.goto('/admin/user-provisioning?status=queued,in_progress');
    await expect(page.locator('table.runs tbody tr').first()).toBeVisible();
    await expect(page.locator('table.runs .runs__summary')).toHaveCount(0);
  });

  test('a page opened without the zone cookie, or with another zone, is shown in the browser zone', async ({ browser }) => {
    const context = await browser.newContext({ timezoneId: 'America/New_York' });
    const page = await context.newPage();
    await signIn(page, 'org.admin@acme.example');
    // Missing; another zone; another zone on a narrower path, which the browser sends first.
    for (const [stale, path] of [[null, '/'], ['Asia/Tokyo', '/'], ['UTC', '/admin']]) {
      await context.clearCookies({ name: 'tz' });
      if (stale) {
        await context.addCookies([{ name: 'tz', value: encodeURIComponent(stale), url: new URL(path, page.url()).href }]);
      }
      // The page loads itself again as soon as it has set the cookie.
      await page.goto('/admin/user-provisioning', { waitUntil: 'commit' });
      await expect(page.locator('table.runs')).toContainText('Times are shown in New York time (UTC');
    }
    await context.close();
  });

  test('names the time zone as it is called today', async ({ browser }) => {
    // Chromium reports Kolkata by its old name, Asia/Calcutta.
    const context = await browser.newContext({ timezoneId: 'Asia/Kolkata' });
    const page = await context.newPage();
    await signIn(page, 'org.admin@acme.example');
    await expect(page.locator('table.runs')).toContainText('Times are shown in Kolkata time (UTC+05:30)');
    await context.close();
  });

  test('signs out, and the page then asks to sign in', async ({ page }) => {
    await signIn(page, 'org.admin@acme.example');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login$/);
    await page.goto('/admin/user-provisioning');
    await expect(page).toHaveURL(/\/login\?next=%2Fadmin%2Fuser-provisioning$/);
    const api = await page.request.get('/api/list_sync_runs?query=');
    expect(api.status()).toBe(401);
  });
});

test.describe('without access', () => {
  test('a Basic User has no sidebar entry and gets no data', async ({ page }) => {
    await signIn(page, 'basic.user@acme.example');
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByRole('navigation', { name: 'Admin Panel' }).getByRole('link', { name: 'User Provisioning' })).toHaveCount(0);
    // No dead end: the Admin Panel's home says what is missing and how to get it.
    await expect(page.getByRole('heading', { name: "You don't have access to User Provisioning" })).toBeVisible();
    await expect(page.locator('.unmet')).toHaveCount(1);
    await expect(page.getByText('contact your Blink account team')).toBeVisible();
    // Their role is what is missing: their organisation's admins can change it.
    await expect(page.getByText('can make you an Organisation Admin or a People Admin')).toBeVisible();
    await expect(page.getByText('(you are a Basic User)')).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Admin Panel' })).toHaveCount(0);

    const response = await page.goto('/admin/user-provisioning');
    expect(response?.status()).toBe(403);
    await expect(page.getByRole('heading', { name: "You don't have access to User Provisioning" })).toBeVisible();
    await expect(page.getByText('contact your Blink account team')).toBeVisible();
    await expect(page.getByRole('table')).toHaveCount(0);

    const api = await page.request.get('/api/list_sync_runs?query=');
    expect(api.status()).toBe(403);
    expect(await api.text()).not.toContain('runs');
  });

  test('an organisation without User Provisioning sees how to get access', async ({ page }) => {
    await signIn(page, 'org.admin@initech.example');
    await page.goto('/admin/user-provisioning');
    await expect(page.getByText('Your organisation has User Provisioning enabled')).toBeVisible();
    await expect(page.locator('.unmet')).toHaveCount(1);
    await expect(page.getByText('(you are an Organisation Admin)')).toBeVisible();
    await expect(page.locator('body')).not.toContainText('Initech Google Workspace');
  });

  test('a wrong password is refused with a message', async ({ page }) => {
    await page.goto('/login');
    await page.getByLabel('Email').fill('org.admin@acme.example');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toHaveText('The email or password is not correct.');
    // The email stays; only the password is to type again, and it has the focus.
    await expect(page.getByLabel('Email')).toHaveValue('org.admin@acme.example');
    await expect(page.getByLabel('Password')).toHaveValue('');
    await expect(page.getByLabel('Password')).toBeFocused();
    // The email is not written in the address (history, proxies' logs, Referer).
    expect(page.url()).not.toContain('acme.example');
    expect(new URL(page.url()).search).toBe('?error=invalid');
  });
});
