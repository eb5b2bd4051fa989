import { test, expect, Browser, Page } from '@playwright/test';
import { signIn } from '../tests/helpers';

// Run by first-load.sh, which serves the dashboard (BASE_URL) and the bare Leptos app
// (BARE_URL) side by side. Each load starts with an empty cache on an emulated slow link,
// and is timed from navigation to the moment a filter, changed as soon as the page
// hydrates, has changed the list.
const runs = Number(process.env.UP_BENCH_LOADS ?? 5);
const link = {
  offline: false,
  latency: 150, // ms, each way's share left to Chromium
  downloadThroughput: (1.6e6 / 8), // 1.6 Mbps
  uploadThroughput: (750e3 / 8),
};

type Load = { hydrated: number; interacted: number; bytes: number };

async function coldLoad(page: Page, url: string, interact: (page: Page) => Promise<void>): Promise<Load> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.clearBrowserCache');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', link);
  let bytes = 0;
  cdp.on('Network.loadingFinished', (e: any) => { bytes += e.encodedDataLength; });
  const started = Date.now();
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => document.body?.dataset.hydrated === 'true', null, { timeout: 120_000, polling: 10 });
  const hydrated = Date.now() - started;
  await interact(page);
  const interacted = Date.now() - started;
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await cdp.detach();
  return { hydrated, interacted, bytes };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function loads(browser: Browser, prepare: (page: Page) => Promise<void>, url: string, interact: (page: Page) => Promise<void>) {
  const all: Load[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await prepare(page);
    all.push(await coldLoad(page, url, interact));
    await context.close();
  }
  return {
    hydrated: median(all.map((l) => l.hydrated)),
    interacted: median(all.map((l) => l.interacted)),
    bytes: median(all.map((l) => l.bytes)),
  };
}

test('first load on a slow link, beside the bare Leptos app', async ({ browser }) => {
  const bare = process.env.BARE_URL!;
  const ours = await loads(
    browser,
    (page) => signIn(page, 'org.admin@acme.example'),
    '/admin/user-provisioning',
    async (page) => {
      await page.locator('section.filters[data-interactive="true"]').waitFor({ timeout: 120_000 });
      await page.locator('select#filter-range').selectOption('7d');
      await expect(page).toHaveURL(/\?range=7d$/, { timeout: 120_000 });
      await expect(page.locator('.results[aria-busy]')).toHaveCount(0, { timeout: 120_000 });
      await expect(page.locator('table.runs tbody tr').first()).toBeVisible({ timeout: 120_000 });
    },
  );
  const theirs = await loads(
    browser,
    async () => {},
    `${bare}/`,
    async (page) => {
      await page.locator('select').selectOption('a');
      await expect(page.locator('#items li')).toHaveText(['alpha'], { timeout: 120_000 });
    },
  );
  const ms = (n: number) => `${n.toLocaleString('en')} ms`;
  const kb = (n: number) => `${Math.round(n / 1000).toLocaleString('en')} KB`;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  console.log([
    '',
    `Cold loads on 1.6 Mbps / 150 ms, median of ${runs} each:`,
    '',
    '| app | bytes on the wire | navigation → hydrated | navigation → a filter has changed the list |',
    '|---|---:|---:|---:|',
    `| dashboard, /admin/user-provisioning | ${kb(ours.bytes)} | ${ms(ours.hydrated)} | ${ms(ours.interacted)} |`,
    `| bare Leptos app | ${kb(theirs.bytes)} | ${ms(theirs.hydrated)} | ${ms(theirs.interacted)} |`,
    `| dashboard ÷ bare | ${ratio(ours.bytes, theirs.bytes)} | ${ratio(ours.hydrated, theirs.hydrated)} | ${ratio(ours.interacted, theirs.interacted)} |`,
    '',
  ].join('\n'));
});
