import { test, expect } from './fixtures';
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signIn, hydrated } from './helpers';

// Alerts with real parts: the operators' CLI ends a run Cancelled in the server's
// database, the server's alert worker emails the admins through a real SMTP server
// (aiosmtpd, started by test.sh, keeping what it receives in E2E_MAILDIR), and the run's
// page says what was sent.
const server = process.env.E2E_SERVER_BIN;
const database = process.env.E2E_DATABASE_URL;
const maildir = process.env.E2E_MAILDIR;
const CONFIG = 'Acme/HR export drop folder';

test.describe.configure({ mode: 'serial' });

/** Subject and envelope recipients of every message the SMTP server kept. */
async function received(): Promise<{ subject: string; to: string }[]> {
  const dir = join(maildir!, 'new');
  const files = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(files.map(async (f) => {
    const text = (await readFile(join(dir, f))).toString('utf8');
    const header = (name: string) => (text.match(new RegExp(`^${name}: (.*)$`, 'mi'))?.[1] ?? '').trim();
    return { subject: header('Subject'), to: header('X-RcptTo') };
  }));
}

test('an admin turns alert emails off and on, and the choice is kept', async ({ page }) => {
  await signIn(page, 'people.admin@acme.example');
  await page.goto('/admin/user-provisioning');
  await hydrated(page);
  const alerts = page.getByRole('switch', { name: 'Email me when a sync needs action' });
  await expect(alerts).toBeChecked();
  await alerts.click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toHaveText('Saved: you will not get alert emails.');
  await page.reload();
  await hydrated(page);
  await expect(alerts).not.toBeChecked();
  // By keyboard too, pressed again and again: focus stays, and the last press is kept.
  await alerts.focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press('Space');
  await expect(alerts).toBeFocused();
  await expect(alerts).toBeChecked();
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toHaveText('Saved: you will get an email when a sync needs action.');
  await page.reload();
  await hydrated(page);
  await expect(alerts).toBeChecked();
});

test('a cancelled run emails the admins once, and its page says so', async ({ page }) => {
  expect(server, 'E2E_SERVER_BIN (set by test.sh)').toBeTruthy();
  expect(database, 'E2E_DATABASE_URL (set by test.sh)').toBeTruthy();
  expect(maildir, 'E2E_MAILDIR (set by test.sh)').toBeTruthy();
  test.setTimeout(60_000);
  const env = { ...process.env, DATABASE_URL: database! };
  const queued = execFileSync(server!, ['run', 'queue', CONFIG], { env }).toString();
  const id = queued.match(/queued run #(\d+)/)![1];
  execFileSync(server!, ['run', 'cancel', id], { env });

  const subject = 'HR export drop folder: Cancelled (Acme)';
  await expect.poll(async () => (await received()).filter((m) => m.subject === subject).map((m) => m.to).sort(),
    { timeout: 20_000 }).toEqual(['org.admin@acme.example', 'people.admin@acme.example']);

  await signIn(page, 'org.admin@acme.example');
  await page.goto(`/admin/user-provisioning/runs/${id}`);
  await hydrated(page);
  const panel = page.getByRole('region', { name: 'Alerts' });
  await expect(panel).toContainText('Email to 2 admins: 2 sent.');

  // Nothing is sent twice.
  await page.waitForTimeout(3_000);
  expect((await received()).filter((m) => m.subject === subject)).toHaveLength(2);
});
