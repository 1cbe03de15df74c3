// The playground's frame rate as a learner sees it: headless Chromium plays a setup for 10 s
// against a running server, and this prints epochs (frames) per second. Not a test (no
// threshold): a measurement for the README, beside `cargo bench --bench playground`.
//
//   target/release/backprop playground --port 8000 &
//   node benches/playground-browser.mjs http://127.0.0.1:8000/ '#data=spiral&hidden=8,8,8,8,8,8&features=x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2)&train_percent=90'
//
// (playwright-core from `npm ci` in tests/browser.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/browser/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const [url = 'http://127.0.0.1:8000/', hash = '#data=circle', seconds = '10'] = process.argv.slice(2);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'backprop-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  viewport: { width: 1400, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
const page = await context.newPage();
await page.goto(url + hash);
await page.locator('[data-testid="weight-w1"]').waitFor();
const epoch = async () => Number(await page.locator('[data-testid="epoch"]').innerText());
await page.locator('[data-testid="play"]').click();
await page.waitForTimeout(1000);
const [e0, t0] = [await epoch(), Date.now()];
await page.waitForTimeout(Number(seconds) * 1000);
const [e1, t1] = [await epoch(), Date.now()];
await page.locator('[data-testid="play"]').click();
console.log(`${hash}: ${((e1 - e0) / ((t1 - t0) / 1000)).toFixed(1)} frames (epochs) per second`);
await context.close();
fs.rmSync(profile, { recursive: true, force: true });
