import { test, expect } from './fixtures';
import { execFileSync, spawn } from 'node:child_process';
import { signIn, hydrated } from './helpers';

// The real engine drives this test: the operators' CLI queues a run of the demo's
// drop-folder configuration in the server's database, and a separate worker process
// runs it (pausing inside its apply step, so In Progress can be seen).
const server = process.env.E2E_SERVER_BIN;
const database = process.env.E2E_DATABASE_URL;
const CONFIG = 'Acme/HR export drop folder';

test('a run goes Queued → In Progress → Success on the page, without a reload', async ({ page, context }) => {
  // test.sh sets both; without them this test fails rather than passing unseen.
  expect(server, 'E2E_SERVER_BIN: the server binary (set by test.sh)').toBeTruthy();
  expect(database, 'E2E_DATABASE_URL: the served database (set by test.sh)').toBeTruthy();
  test.setTimeout(90_000);
  const env = { ...process.env, DATABASE_URL: database! };

  await signIn(page, 'org.admin@acme.example');
  await page.goto('/admin/user-provisioning?config=HR+export+drop+folder');
  await hydrated(page);
  const before = await page.locator('table.runs tbody tr').count();
  // The overview chart follows the live view: its legend counts each status's runs.
  const charted = async (label: string) => Number((await page.locator('.chart__legend')
    .getByRole('button', { name: new RegExp(`^${label} \\(\\d+\\)$`) })
    .locator('.legend__count').innerText()).match(/\((\d+)\)/)![1]);
  // What the table shows with these statuses; the worker's scheduler may add runs of its own.
  const listed = async (re: RegExp) =>
    (await page.locator('table.runs tbody .status').allInnerTexts()).filter((t) => re.test(t)).length;
  const finished = (await charted('Success')) + (await charted('Needs Attention'));

  execFileSync(server!, ['run', 'queue', CONFIG], { env });
  const top = page.locator('table.runs tbody tr').first();
  // Idle pages look for new runs every 5 seconds.
  await expect(top.locator('.status')).toHaveText('Queued', { timeout: 25_000 });
  // What the live view brings is marked as it appears, and told to screen readers.
  await expect(top).toHaveClass(/runs__row--fresh/);
  await expect(page.locator('p.visually-hidden[role="status"]', { hasText: /new run/ })).toHaveText('1 new run');
  await expect(page.locator('.count__heard')).toHaveText(/^Updated (just now|\d+ s ago)$/);
  await expect(top.getByRole('button', { name: 'Download' })).toHaveCount(0);
  expect(await page.locator('table.runs tbody tr').count()).toBe(before + 1);
  await expect.poll(() => charted('Queued')).toBe(await listed(/^Queued$/));

  // Its details, open in a second tab, follow it too.
  const details = await context.newPage();
  await details.goto(await top.locator('.runs__start a').getAttribute('href') as string);
  await hydrated(details);
  await expect(details.locator('.detail-status .status')).toHaveText('Queued');
  // A list of the active runs alone, open in a third tab, holds it until it finishes.
  const runId = await top.getAttribute('data-run-id');
  const active = await context.newPage();
  await active.goto('/admin/user-provisioning?config=HR+export+drop+folder&status=queued,in_progress');
  await hydrated(active);
  const held = active.locator(`table.runs tbody tr[data-run-id="${runId}"]`);
  await expect(held).toHaveCount(1);

  const worker = spawn(server!, ['worker', '--count', '1'], {
    env: { ...env, UP_WORKER_POLL_MS: '200', UP_FAULT_PAUSE_IN_APPLY_MS: '6000' },
    stdio: 'ignore',
  });
  try {
    await expect(top.locator('.status')).toHaveText('In Progress', { timeout: 15_000 });
    await expect(top).toHaveClass(/runs__row--fresh/);
    await expect(top.getByRole('progressbar')).toBeVisible();
    await expect(top.locator('.runs__duration')).toContainText('so far');
    // The duration ticks in the page between polls.
    const first = await top.locator('.runs__duration').innerText();
    await expect.poll(() => top.locator('.runs__duration').innerText(), { timeout: 5_000 }).not.toBe(first);
    await expect(top.locator('.status')).toHaveText(/^(Success|Needs Attention)$/, { timeout: 30_000 });
    await expect(top.getByRole('button', { name: 'Download' })).toBeVisible();
    // The chart counts what the table lists, the finished run included.
    await expect.poll(async () => {
      const done = (await charted('Success')) + (await charted('Needs Attention'));
      return done > finished && done === (await listed(/^(Success|Needs Attention)$/))
        && (await charted('Queued')) === (await listed(/^Queued$/));
    }, { timeout: 20_000 }).toBe(true);
    await expect(details.locator('.detail-status .status')).toHaveText(/^(Success|Needs Attention)$/, { timeout: 10_000 });
    await expect(details.getByRole('heading', { name: 'Sync result log' })).toBeVisible();
    // Its log preview appears with it, without a reload.
    await expect(details.locator('.count')).toContainText(/Showing \d+ of \d+ entries/);
    await expect(details.locator('table.log tbody tr').first()).toBeVisible();
    await expect(details.locator('body')).toHaveAttribute('data-hydrated', 'true');
    // Finished, it no longer matches the active tab's filter: it leaves that list, whose
    // count agrees with the rows it shows.
    await expect(held).toHaveCount(0, { timeout: 15_000 });
    await expect.poll(async () => {
      const rows = await active.locator('table.runs tbody tr').count();
      if (rows === 0) return await active.getByRole('heading', { name: 'No runs match these filters' }).isVisible();
      return (await active.locator('.count').innerText()).includes(`Showing ${rows} of ${rows} run`);
    }, { timeout: 10_000 }).toBe(true);
  } finally {
    worker.kill('SIGTERM');
  }
  // Never reloaded, filter kept.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(page).toHaveURL(/config=HR\+export\+drop\+folder/);
});
