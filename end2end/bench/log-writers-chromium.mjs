// Runs the log-file writers' benchmark entry in Debian's Chromium: the module built with
// `--target web` (by server/benches/log_export.rs) is served to a blank page through
// Playwright's request routing, so no server is needed. Prints "<csv ms> <xlsx ms>".
//
//   node end2end/bench/log-writers-chromium.mjs <module folder> <rows> <rounds>
import { chromium } from '@playwright/test';
import path from 'node:path';

const [dir, rows, rounds] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage();
  await page.route('http://bench.invalid/**', (route) => {
    const name = new URL(route.request().url()).pathname.slice(1);
    if (name === '') {
      return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>bench</title>' });
    }
    return route.fulfill({ path: path.join(dir, path.basename(name)) });
  });
  await page.goto('http://bench.invalid/');
  const times = await page.evaluate(async ([rows, rounds]) => {
    const m = await import('/log_writer.js');
    await m.default();
    return m.bench_log_writers(rows, rounds);
  }, [Number(rows), Number(rounds)]);
  console.log(times);
} finally {
  await browser.close();
}
