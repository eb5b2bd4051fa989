import { test, expect } from './fixtures';
import { signIn, hydrated, STATUS_LABELS, PASSWORD, cspViolations } from './helpers';

// The seeded history ends with a Queued and an In Progress run, so the Syncs page polls
// every few seconds.

test('a lost connection is shown while it lasts, and the page recovers by itself', async ({ page }) => {
  await signIn(page, 'org.admin@acme.example');
  await page.goto('/admin/user-provisioning');
  await hydrated(page);
  await page.route('**/api/poll_sync_runs**', (route) => route.abort('connectionrefused'));
  const notice = page.getByRole('status').filter({ hasText: 'Live updates paused' });
  await expect(notice).toBeVisible({ timeout: 15_000 });
  await expect(notice).toContainText('Could not reach the server');
  await expect(notice).toContainText('Retrying automatically');
  // The rows stay on screen meanwhile.
  await expect(page.locator('table.runs tbody tr').first()).toBeVisible();
  await page.unroute('**/api/poll_sync_runs**');
  await expect(notice).toBeHidden({ timeout: 15_000 });
});

test("a run opened while the list's question is on its way leaves the answer unread", async ({ page }) => {
  await signIn(page, 'org.admin@acme.example');
  await page.goto('/admin/user-provisioning');
  await hydrated(page);
  // The list's next "anything new?" is held until the run's page has taken its place.
  let asked!: () => void;
  const polled = new Promise<void>((resolve) => (asked = resolve));
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/api/poll_sync_runs**', async (route) => {
    asked();
    await held;
    await route.continue();
  });
  await polled;
  await page.locator('table.runs .runs__start a').first().click();
  await expect(page).toHaveURL(/\/admin\/user-provisioning\/runs\/\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  const answered = page.waitForResponse('**/api/poll_sync_runs**');
  release();
  await answered;
  // The answer reaches a page that has gone: nothing may be thrown (the fixture checks),
  // and the run's page goes on working.
  await page.getByRole('link', { name: '← All syncs' }).click();
  await expect(page.locator('table.runs tbody tr').first()).toBeVisible();
});

test('a session ended elsewhere sends the viewer to sign in, saying why', async ({ page }) => {
  await signIn(page, 'people.admin@acme.example');
  await page.goto('/admin/user-provisioning?status=success');
  await hydrated(page);
  // Signed out from another tab: the session ends on the server.
  await page.request.post('/api/sign_out', { headers: { accept: 'text/html' }, maxRedirects: 0 });
  await expect(page).toHaveURL(/\/login\?error=expired&next=/, { timeout: 15_000 });
  await expect(page.getByRole('alert')).toHaveText('Your session has ended. Please sign in again.');
  // Signing in again leads back to the list as it was.
  await hydrated(page);
  await page.getByLabel('Email').fill('people.admin@acme.example');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/admin\/user-provisioning\?status=success$/);
});

test("a run's page whose session ended elsewhere sends the viewer to sign in, and back", async ({ page }) => {
  await signIn(page, 'people.admin@acme.example');
  await page.goto('/admin/user-provisioning?status=success');
  await hydrated(page);
  await page.locator('table.runs tbody tr').first().locator('.runs__start a').click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  await expect(page.getByRole('button', { name: 'Show more entries' })).toBeVisible();
  await hydrated(page);
  const run = page.url();
  await page.request.post('/api/sign_out', { headers: { accept: 'text/html' }, maxRedirects: 0 });
  // The next question the page asks finds the session gone: sign-in says so.
  await page.getByRole('button', { name: 'Show more entries' }).click();
  await expect(page).toHaveURL(/\/login\?error=expired&next=/);
  await expect(page.getByRole('alert')).toHaveText('Your session has ended. Please sign in again.');
  await hydrated(page);
  await page.getByLabel('Email').fill('people.admin@acme.example');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(run);
});

test('a signed-out visit to a filtered list returns there after signing in', async ({ page }) => {
  await page.goto('/admin/user-provisioning?status=success&sort=oldest');
  await expect(page).toHaveURL(/\/login\?next=/);
  await hydrated(page);
  await page.getByLabel('Email').fill('org.admin@acme.example');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/admin\/user-provisioning\?status=success&sort=oldest$/);
  await expect(page.locator('.pill', { hasText: 'Success' })).toBeVisible();
});

test('the help explains every status, the logs and who has access', async ({ page }) => {
  await signIn(page, 'org.admin@acme.example');
  await page.goto('/admin/user-provisioning');
  await page.getByRole('link', { name: 'What the statuses mean, logs and access' }).click();
  await expect(page).toHaveURL(/\/admin\/user-provisioning\/help$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('User Provisioning help');
  const statuses = page.getByRole('table').first().locator('tbody th');
  await expect(statuses).toHaveText(STATUS_LABELS);
  await expect(page.getByRole('row', { name: /Data Load Failed/ })).toContainText('Error logs');
  await expect(page.getByRole('row', { name: /Support Admin/ })).toContainText('No');
  await expect(page.getByText('Bulk Update')).toBeVisible();
  await page.getByRole('link', { name: '← Back to User Provisioning' }).click();
  await expect(page).toHaveURL(/\/admin\/user-provisioning$/);
});

test('people without access can read the help from the page that turns them away', async ({ page }) => {
  await signIn(page, 'support.admin@acme.example');
  await page.goto('/admin/user-provisioning');
  await page.getByRole('link', { name: 'Read about User Provisioning and who can use it' }).click();
  await expect(page.getByRole('heading', { name: 'Who can see User Provisioning' })).toBeVisible();
});

test('an inline script the page did not write never runs, and the page still comes alive', async ({ page }) => {
  await signIn(page, 'org.admin@acme.example');
  // As if a value had slipped into the HTML unescaped: an inline script, without the
  // response's nonce, before the page's own scripts.
  await page.route('**/admin/user-provisioning', async (route) => {
    const response = await route.fetch();
    const html = (await response.text()).replace(
      '<head>',
      '<head><script>window.injected = true;</script>',
    );
    await route.fulfill({ response, body: html });
  });
  const refused = cspViolations(page);
  await page.goto('/admin/user-provisioning');
  await hydrated(page);
  expect(await page.evaluate(() => (window as unknown as { injected?: boolean }).injected)).toBeUndefined();
  expect(refused.join('\n')).toContain('inline script');
  // The page's own scripts ran: it hydrated (above) and its rows are there.
  await expect(page.locator('table.runs tbody tr').first()).toBeVisible();
});

// Leptos 0.8's HydrationScripts writes the CSP nonce into its preload links' `crossorigin`
// attribute (see the shell in app/src/routes.rs). HTML reads an unknown value there as
// "anonymous", which is the mode the app's module and wasm fetches use: the preloads are
// used, and nothing is fetched twice.
test('a cold load fetches the app module and its wasm once each, through their preloads', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const fetched: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (/^\/pkg\/.*\.(js|wasm)$/.test(path)) fetched.push(path);
  });
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (/preload/i.test(m.text())) warnings.push(m.text());
  });
  await page.goto('/login');
  await hydrated(page);
  const nonce = await page.locator('script[type="module"][nonce]').evaluate((s) => (s as HTMLScriptElement).nonce);
  expect(nonce).not.toBe('');
  // The quirk itself: when Leptos writes "anonymous" (or nothing) here, this note can go.
  await expect(page.locator('link[rel="preload"][as="fetch"]')).toHaveAttribute('crossorigin', nonce);
  const wasm = fetched.filter((p) => p.endsWith('.wasm'));
  const modules = fetched.filter((p) => p.endsWith('.js'));
  expect(wasm).toHaveLength(1);
  expect(new Set(modules).size).toBe(modules.length);
  expect(warnings).toEqual([]);
  await context.close();
});
