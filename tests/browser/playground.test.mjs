// End to end: `backprop playground` in Debian's headless Chromium, driven by playwright-core,
// through the page's data-testid hooks, as a learner would. Reference numbers are the
// lecture's (its slides' values), not the tool's output.
//
//   BACKPROP=target/release/backprop node tests/browser/playground.test.mjs
//   SCREENSHOTS=docs/screenshots ... also writes the README's screenshots.

import { spawn, execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const binary = process.env.BACKPROP ?? 'target/release/backprop';
const shots = process.env.SCREENSHOTS;

// The server on a free port (or the given one); its URL from the line it prints.
async function startServer(port = '0', more = []) {
  const child = spawn(binary, ['playground', '--port', port, ...more], { stdio: ['ignore', 'pipe', 'inherit'] });
  const address = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/http:\/\/\S+\/(\?token=\w+)?/);
      if (m) resolve(m[0]);
    });
    child.on('exit', (code) => reject(new Error(`the server exited (${code}) before printing its URL`)));
  });
  return { child, address };
}
let { child: server, address: url } = await startServer();

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'backprop-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  viewport: { width: 1400, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});

const problems = [];
let failures = 0;
// `expected`: console errors the test causes on purpose (the browser logs a 404 it receives).
async function test(name, body, expected = null) {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !(expected && expected.test(m.text()))) problems.push(`${name}: console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  try {
    await body(page);
    console.log(`ok - ${name}`);
  } catch (e) {
    failures += 1;
    console.log(`not ok - ${name}\n  ${String(e.stack ?? e).split('\n').join('\n  ')}`);
    await page.screenshot({ path: path.join(os.tmpdir(), `failed-${name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
  } finally {
    await page.close();
  }
}

const hook = (page, id) => page.locator(`[data-testid="${id}"]`);
const number = async (page, id) => Number(await hook(page, id).innerText());
const shot = async (page, name) => { if (shots) await page.screenshot({ path: path.join(shots, `${name}.png`) }); };

async function open(page, hash = '') {
  await page.goto(url + hash);
  await hook(page, 'weight-w1').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="loss-train"]').textContent !== '–');
}

async function lecture(page) {
  await open(page);
  await hook(page, 'preset').selectOption('lecture');
  await page.waitForFunction(() => document.querySelector('[data-testid="loss-train"]').textContent === '0.298371109');
}

await test('the page loads with no console errors, and the controls are there', async (page) => {
  await open(page);
  for (const id of ['play', 'step', 'reset', 'preset', 'dataset', 'epoch', 'loss-train', 'loss-test', 'chain', 'bias-b1']) {
    assert.equal(await hook(page, id).count(), 1, `the hook ${id}`);
  }
  assert.deepEqual(problems, []);
});

await test('play on the circle data makes the training loss fall', async (page) => {
  await open(page, '#data=circle&learning_rate=0.03&hidden=4,2&activation=tanh');
  const before = await number(page, 'loss-train');
  await hook(page, 'play').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="epoch"]').textContent) >= 60, null, { timeout: 30000 });
  await hook(page, 'play').click();
  const after = await number(page, 'loss-train');
  assert.ok(after < 0.7 * before, `the training loss went from ${before} to ${after}`);
  await hook(page, 'show-test').check().catch(() => {});
  await shot(page, 'circle');
});

await test("the lecture preset's w5 shows the slide's chain", async (page) => {
  await lecture(page);
  await hook(page, 'weight-w5').click({ force: true });
  await hook(page, 'chain-product').waitFor();
  const chain = await hook(page, 'chain').innerText();
  for (const factor of ['0.74136507', '0.186815602', '0.593269992']) assert.ok(chain.includes(factor), `${factor} in\n${chain}`);
  assert.equal(await hook(page, 'chain-product').innerText(), '0.082167041');
  assert.ok(chain.includes('0.35891648'), `w5⁺ in\n${chain}`);
  await shot(page, 'lecture-w5');
});

await test("Adam's update of w5 is written out: its first step moves w5 by about η", async (page) => {
  await lecture(page);
  await hook(page, 'learning-rate').fill('0.05');
  await hook(page, 'learning-rate').dispatchEvent('change');
  await page.waitForFunction(() => location.hash.includes('learning_rate=0.05'));
  await hook(page, 'optimizer').selectOption('adam');
  await page.waitForFunction(() => location.hash.includes('optimizer=adam'));
  await hook(page, 'weight-w5').click({ force: true });
  await hook(page, 'update-terms').waitFor();
  const update = await hook(page, 'update-terms').innerText();
  // On Adam's first step the bias corrections make m̂ = g (the slide's 0.082167041) and
  // v̂ = g², so Δw = η·g/(|g| + ε) ≈ η: w5⁺ = 0.4 − 0.05·(1 − 1.2e-7) = 0.350000006.
  assert.ok(update.includes('m̂ = m⁺ / (1 − β1ᵗ) = 0.082167041'), `m̂ in\n${update}`);
  assert.ok(update.includes('Δw = η·m̂ / (√v̂ + ε) = 0.049999994'), `Δw in\n${update}`);
  assert.ok(update.includes('w5⁺ = w − Δw = 0.350000006'), `w5⁺ in\n${update}`);
  await shot(page, 'adam-w5');
});

await test('a hidden weight shows its path sum', async (page) => {
  await lecture(page);
  await hook(page, 'weight-w1').click({ force: true });
  await hook(page, 'chain-product').waitFor();
  const chain = await hook(page, 'chain').innerText();
  // ∂E/∂out_H1 = δ_y1·w5 + δ_y2·w7 = 0.138498562·0.4 − 0.038098236·0.5 = 0.036350306 (the lecture's)
  assert.ok(chain.includes('0.036350306'), `the path sum in\n${chain}`);
  assert.equal(await hook(page, 'chain-product').innerText(), '0.000438568');
});

await test('one step of the lecture network gives E = 0.291027774', async (page) => {
  await lecture(page);
  await hook(page, 'step').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="epoch"]').textContent === '1');
  assert.equal(await hook(page, 'loss-train').innerText(), '0.291027774');
});

await test('editing a weight changes the numbers', async (page) => {
  await lecture(page);
  await hook(page, 'weight-w5').click({ force: true });
  await hook(page, 'chain-product').waitFor();
  const input = hook(page, 'edit-value');
  await input.fill('0.5');
  await input.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid="loss-train"]').textContent !== '0.298371109');
  await page.waitForFunction(() => document.querySelector('[data-testid="chain-product"]')?.textContent !== '0.082167041');
  const w5 = await hook(page, 'weight-w5').evaluate((el) => el.getAttribute('stroke-width'));
  assert.ok(Number(w5) > 0, 'the edge is still drawn');
  // E with w5 = 0.5: out_y1 = σ(0.5·0.593269992 + 0.45·0.596884378 + 0.6)
  const outY1 = 1 / (1 + Math.exp(-(0.5 * 0.593269992 + 0.45 * 0.596884378 + 0.6)));
  const e = 0.5 * (0.01 - outY1) ** 2 + 0.5 * (0.99 - 0.772928465) ** 2;
  assert.ok(Math.abs((await number(page, 'loss-train')) - e) < 1e-8, `E after the edit is ${e}`);
});

await test('backprop mode steps forward, back and through the update', async (page) => {
  await lecture(page);
  await hook(page, 'backprop-mode').click();
  await hook(page, 'bp-phase').waitFor();
  await hook(page, 'bp-next').click(); // the hidden layer's forward values
  await hook(page, 'bp-H1').waitFor();
  assert.ok((await hook(page, 'bp-H1').innerText()).includes('0.593269992'), 'out_H1');
  await hook(page, 'bp-next').click(); // the output layer's
  await hook(page, 'bp-next').click(); // ∂E/∂net of the outputs
  assert.ok((await hook(page, 'bp-y1').innerText()).includes('0.138498562'), 'δ of y1');
  await hook(page, 'bp-next').click(); // ∂E/∂net of the hidden layer
  await hook(page, 'bp-next').click(); // the updates
  assert.ok((await hook(page, 'bp-updates').innerText()).includes('w5⁺ = 0.35891648'), 'w5⁺');
  await shot(page, 'backprop-mode');
  await hook(page, 'bp-next').click(); // applies them
  await page.waitForFunction(() => document.querySelector('[data-testid="epoch"]').textContent === '1');
  assert.equal(await hook(page, 'loss-train').innerText(), '0.291027774');
});

await test('three classes train with softmax and cross-entropy, with accuracy', async (page) => {
  await open(page, '#data=gauss&classes=3&hidden=4&activation=tanh&learning_rate=0.1');
  assert.equal(await hook(page, 'loss').inputValue(), 'default');
  await hook(page, 'play').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="epoch"]').textContent) >= 30, null, { timeout: 30000 });
  await hook(page, 'play').click();
  const accuracy = parseFloat(await hook(page, 'accuracy-train').innerText());
  assert.ok(accuracy > 80, `accuracy ${accuracy} %`);
  await shot(page, 'three-classes');
});

await test('the setup is in the URL: a shared link opens the same network', async (page) => {
  await open(page, '#data=xor&hidden=3,3,2&activation=relu&features=x1,x2,x1*x2');
  const link = page.url();
  const other = await context.newPage();
  await open(other, new URL(link).hash);
  assert.equal(await hook(other, 'dataset').inputValue(), 'xor');
  assert.equal(await hook(other, 'activation').inputValue(), 'relu');
  assert.equal(await hook(other, 'weight-w1').count(), 1);
  assert.equal(await other.locator('[data-testid^="unit-H3_"]').count(), 2);
  await other.close();
});

await test("the chain-rule tab shows 10t for the slide's example", async (page) => {
  await open(page);
  await hook(page, 'tab-chain').click();
  await hook(page, 'definitions').fill('y = 5x + 3\nx = t^2');
  await hook(page, 'wrt').fill('t');
  await hook(page, 'at').fill('t=3');
  await hook(page, 'chain-compute').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="chain-text"]').textContent.includes('10t'));
  assert.ok((await hook(page, 'chain-text').innerText()).includes('= 30'));
  assert.ok((await hook(page, 'chain-graph').textContent()).includes('dx/dt = 2·t = 6'));
  await shot(page, 'chain-rule');
});

await test('check my work marks a right and a wrong number', async (page) => {
  await lecture(page);
  await hook(page, 'tab-check').click();
  await hook(page, 'answer-out_H1').fill('0.5933');
  await hook(page, 'answer-dE/dw5').fill('0.0822');
  await hook(page, 'answer-E').fill('0.2990');
  await hook(page, 'check-network').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="check-network-out"]').textContent.includes('✓'));
  const out = await hook(page, 'check-network-out').innerText();
  assert.ok(/✓.*out_H1/.test(out) && /✓.*dE\/dw5/.test(out), out);
  assert.ok(/✗.*E\b/.test(out), out);
  await hook(page, 'answer').fill('5t');
  await hook(page, 'check-expression').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="check-expression-out"]').textContent.includes('✗'));
  await shot(page, 'check');
});

await test('an exercise sheet opens from its link, shows its givens, and its mistake is named', async (page) => {
  // The sheet as `backprop exercise` prints it for a learner with seed 7.
  const sheet = JSON.parse(execFileSync(binary, ['exercise', '--seed', '7', '--key', '--format', 'json']));
  await page.goto(`${url}#exercise=7`);
  await hook(page, 'weight-w1').waitFor({ state: 'attached' });
  await page.waitForFunction((e) => document.querySelector('[data-testid="loss-train"]').textContent === e, String(Number(sheet.key.E.toFixed(9))));
  await hook(page, 'tab-check').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="check-title"]').textContent === 'Exercise 7: one step by hand');
  const w5 = sheet.network.layers[1].weights[0][0];
  assert.equal(await hook(page, 'given-w5').innerText(), `w5 = ${w5}`);
  assert.equal(await hook(page, 'given-x2').innerText(), `x2 = ${sheet.network.inputs[1]}`);
  assert.equal(await hook(page, 'given-T1').innerText(), `T1 = ${sheet.network.targets[0]}`);
  // The key's numbers to four decimals, and w5+ with the update's sign turned.
  for (const symbol of ['out_H1', 'E', 'dE/dw5']) await hook(page, `answer-${symbol}`).fill(sheet.key[symbol].toFixed(4));
  await hook(page, 'answer-w5+').fill((w5 + 0.5 * sheet.key['dE/dw5']).toFixed(4));
  await hook(page, 'check-network').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="check-network-out"]').textContent.includes('✗'));
  const out = await hook(page, 'check-network-out').innerText();
  assert.match(out, /3 of 4 right/);
  assert.match(out, /✗ w5\+[^\n]*\n\s+update-sign/);
  assert.match(out, /why: your dE\/dw5 is right, so the slip is in the update/);
  await shot(page, 'exercise-check');
});

await test('the check tab offers no boxes for a network too big to work by hand', async (page) => {
  await open(page, '#data=spiral&hidden=8,8');
  await hook(page, 'tab-check').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="too-big"]').hidden);
  assert.match(await hook(page, 'too-big').innerText(), /has 88 weights.*lecture preset.*exercise/);
  assert.equal(await page.locator('[data-testid="answers"] input').count(), 0);
});

await test('beyond the default address the printed link with its token opens a working page; without it, 401', async (page) => {
  const guarded = await startServer('0', ['--host', '127.0.0.2']);
  try {
    assert.match(guarded.address, /^http:\/\/127\.0\.0\.2:\d+\/\?token=[0-9a-f]{32}$/);
    const bare = guarded.address.split('?')[0];
    const refused = await page.goto(bare);
    assert.equal(refused.status(), 401);
    await page.goto(guarded.address);
    await hook(page, 'weight-w1').waitFor({ state: 'attached' });
    await page.waitForFunction(() => document.querySelector('[data-testid="loss-train"]').textContent !== '–');
    await hook(page, 'step').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="epoch"]').textContent === '1');
  } finally {
    guarded.child.kill('SIGINT');
  }
}, /status of 401/);

await test('many tabs at once each keep their own session', async (page) => {
  await lecture(page);
  const other = await context.newPage();
  await open(other, '#data=spiral&hidden=8,8');
  await hook(page, 'step').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="epoch"]').textContent === '1');
  assert.equal(await hook(other, 'epoch').innerText(), '0');
  assert.equal(await hook(page, 'loss-train').innerText(), '0.291027774');
  await other.close();
});

await test('a session lost to a server restart comes back with its data and edits, and a notice', async (page) => {
  await open(page);
  // Two clusters of points, uploaded as a learner's own CSV.
  const rows = ['x1,x2,label'];
  for (let i = 0; i < 40; i += 1) rows.push(`${(i % 2 ? 2 : -2) + (i % 5) / 10},${(i % 7) / 10 - 0.3},${i % 2 ? 'b' : 'a'}`);
  await hook(page, 'upload').setInputFiles({ name: 'mine.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) });
  await page.waitForFunction(() => document.querySelector('[data-testid="status"]').textContent.includes('mine.csv loaded'));
  await hook(page, 'weight-w1').click({ force: true });
  await hook(page, 'chain-product').waitFor();
  const before = await hook(page, 'loss-train').innerText();
  await hook(page, 'edit-value').fill('1.5');
  await hook(page, 'edit-value').press('Enter');
  await page.waitForFunction((b) => document.querySelector('[data-testid="loss-train"]').textContent !== b, before);
  const edited = await hook(page, 'loss-train').innerText();
  const note = await hook(page, 'data-note').innerText();

  // The server restarts on the same port; the open page's next step finds its session gone.
  const port = new URL(url).port;
  server.kill('SIGINT');
  await new Promise((resolve) => server.on('exit', resolve));
  ({ child: server } = await startServer(port));
  await hook(page, 'step').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="status"]').textContent.includes('session was gone'));
  const notice = await hook(page, 'status').innerText();
  assert.match(notice, /your data \(mine\.csv\) and your 1 hand edit/);
  assert.equal(await hook(page, 'status').getAttribute('class'), 'status notice');
  await shot(page, 'recovered-session');
  assert.equal(await hook(page, 'epoch').innerText(), '0');
  assert.equal(await hook(page, 'data-note').innerText(), note, 'the uploaded points are back');
  assert.equal(await hook(page, 'loss-train').innerText(), edited, 'the hand-edited w1 is back');
  await hook(page, 'step').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="epoch"]').textContent === '1');
}, /status of 404 \(Not Found\)/);

await context.close();
fs.rmSync(profile, { recursive: true, force: true });

// Ctrl-C stops the server cleanly.
server.kill('SIGINT');
const code = await new Promise((resolve) => server.on('exit', (c) => resolve(c)));
if (code !== 0) {
  failures += 1;
  console.log(`not ok - the server exited with ${code} on Ctrl-C`);
} else {
  console.log('ok - Ctrl-C stops the server');
}
if (problems.length) {
  failures += 1;
  console.log(`not ok - console errors:\n  ${problems.join('\n  ')}`);
}
console.log(failures ? `${failures} failed` : 'all passed');
process.exit(failures ? 1 : 0);
