import { test, expect, Page } from '@playwright/test';
import { signIn, hydrated } from '../tests/helpers';

// Run by big-download.sh, which has synced a UP_BENCH_PEOPLE-person export: the newest run
// of the drop-folder configuration has one log entry per person.
const people = Number(process.env.UP_BENCH_PEOPLE ?? 100_000);
// The writer module's no-modules loader, a global of the page once its script is added.
declare const wasm_bindgen: any;

type Watched = { longestFrameGap: number };

/** Starts watching the page's main thread: the longest gap between two animation frames
 *  (a page that paints every frame shows gaps of about 17 ms). */
async function watch(page: Page) {
  await page.evaluate(() => {
    const w = window as any;
    const b = { longestFrameGap: 0, last: performance.now(), on: true };
    const frame = (t: number) => {
      b.longestFrameGap = Math.max(b.longestFrameGap, t - b.last);
      b.last = t;
      if (b.on) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    w.__watch = b;
  });
}

async function stop(page: Page): Promise<Watched> {
  // A last frame closes the gap the work left open.
  await page.waitForTimeout(100);
  return page.evaluate(() => {
    const b = (window as any).__watch;
    b.on = false;
    return { longestFrameGap: b.longestFrameGap };
  });
}

const ms = (n: number) => `${Math.round(n).toLocaleString('en')} ms`;

test('a large log downloads without blocking the page', async ({ page }) => {
  await signIn(page, 'org.admin@acme.example');
  await page.goto('/admin/user-provisioning?config=HR+export+drop+folder');
  await hydrated(page);
  const row = page.locator('table.runs tbody tr').first();
  await expect(row.locator('.status')).toHaveText(/^(Success|Needs Attention)$/);

  const rows: string[] = [];
  for (const [format, choice] of [['CSV', 'CSV'], ['XLSX', 'Excel (XLSX)']]) {
    await watch(page);
    const started = Date.now();
    await row.getByRole('button', { name: 'Download' }).click();
    const waiting = page.waitForEvent('download', { timeout: 300_000 });
    await row.getByRole('menuitem', { name: choice }).click();
    const download = await waiting;
    const took = Date.now() - started;
    const seen = await stop(page);
    const size = (await import('node:fs')).statSync((await download.path())!).size;
    rows.push(`| ${format}, in the worker (what ships): whole download | ${ms(took)} | ${ms(seen.longestFrameGap)} | ${(size / 1e6).toFixed(1)} MB |`);
  }

  // Baseline: the same writer module on the page's own thread, given the same number of
  // entries like the run's (already in memory, as the page held them before the worker).
  await page.addScriptTag({ url: '/log-writer/log_writer.js' });
  await page.evaluate(async () => {
    await wasm_bindgen({ module_or_path: '/log-writer/log_writer_bg.wasm' });
  });
  for (const format of ['Csv', 'Xlsx']) {
    await page.evaluate(({ format, people }) => {
      const entries = Array.from({ length: people }, (_, i) => ({
        sequence: i, record: `row ${i + 2}`, employee_id: `E${500000 + i}`,
        email: `new.hire.${500000 + i}@acme.example`, action: 'create', outcome: 'ok',
        message: 'User created.', changed_fields: null,
      }));
      const job = { format, run_started: '2024-01-15T22:30:00', configuration: 'HR export drop folder' };
      const g = globalThis as any;
      g.__writer = new wasm_bindgen.LogFileWriter(JSON.stringify(job));
      g.__writer.add(JSON.stringify(entries));
    }, { format, people });
    await watch(page);
    const { took, size } = await page.evaluate(() => {
      const g = globalThis as any;
      const t = performance.now();
      const bytes = g.__writer.finish();
      const took = performance.now() - t;
      g.__writer.free();
      return { took, size: bytes.length };
    });
    const seen = await stop(page);
    rows.push(`| ${format.toUpperCase()}, on the page's thread (baseline): writing | ${ms(took)} | ${ms(seen.longestFrameGap)} | ${(size / 1e6).toFixed(1)} MB |`);
  }
  console.log([
    `\nA ${people.toLocaleString('en')}-entry log in Chromium (headless), one run`,
    '| file | time | longest gap between frames (page frozen) | size |',
    '|---|---:|---:|---:|',
    ...rows,
  ].join('\n'));
});
