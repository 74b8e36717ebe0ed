// Shared helpers for the browser tests: Debian's Chromium driven by playwright-core, the site
// served by scripts/serve.js, and drawing with real mouse / touch input.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { serve } = require('../../scripts/serve.js');

const ROOT = path.resolve(__dirname, '..', '..');
const SITE = process.env.DIGITS_SITE || path.join(ROOT, 'build', 'site');
const ARTIFACTS = process.env.DIGITS_ARTIFACTS || path.join(ROOT, 'build', 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function launch(extraArgs) {
  if (!fs.existsSync(path.join(SITE, 'index.html'))) throw new Error(`${SITE} has no index.html: run make site`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...(extraArgs || [])],
  });
}

// Records console errors, page errors and failed requests; call check() at the end of a test.
function watch(page) {
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('requestfailed', (r) => problems.push('request failed: ' + r.url() + ' ' + (r.failure() || {}).errorText));
  page.on('response', (r) => { if (r.status() >= 400) problems.push('HTTP ' + r.status() + ' ' + r.url()); });
  return problems;
}

async function ready(page) {
  await page.waitForSelector('html[data-ready]', { timeout: 20000 });
  return page.evaluate(() => document.documentElement.dataset.ready);
}

// Draws strokes given in pad fractions (0..1) with real mouse events: `steps` events per
// segment (6 for sparse templates, 1 for dense recorded pen strokes).
async function drawWithMouse(page, strokes, steps = 6) {
  const box = await page.locator('#pad').boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  for (const s of strokes) {
    const [x0, y0] = at(s[0]);
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    for (const p of s.slice(1)) {
      const [x, y] = at(p);
      await page.mouse.move(x, y, { steps });
    }
    await page.mouse.up();
  }
}

// The same with touch events through the DevTools protocol (a finger dragging on the pad).
async function drawWithTouch(page, strokes) {
  const cdp = await page.context().newCDPSession(page);
  const box = await page.locator('#pad').boundingBox();
  const at = ([x, y]) => ({ x: box.x + x * box.width, y: box.y + y * box.height });
  for (const s of strokes) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at(s[0])] });
    for (let i = 1; i < s.length; ++i) {
      const a = at(s[i - 1]), b = at(s[i]);
      for (let k = 1; k <= 6; ++k) {
        const t = k / 6;
        await cdp.send('Input.dispatchTouchEvent', {
          type: 'touchMove', touchPoints: [{ x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) }],
        });
      }
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  }
  await cdp.detach();
}

async function readResult(page) {
  return page.evaluate(() => {
    const r = document.getElementById('result');
    // What is drawn, not what was set: each bar's rendered width as a share of its track.
    const pcts = [...document.querySelectorAll('#bars .fill')].map((f) =>
      (100 * f.getBoundingClientRect().width) / f.parentElement.getBoundingClientRect().width);
    return {
      digit: r.dataset.digit,
      confidence: r.dataset.confidence,
      message: document.getElementById('message').textContent,
      announced: document.getElementById('announce').textContent,
      barsSum: pcts.reduce((a, b) => a + b, 0),
      status: document.getElementById('status').textContent,
      // Ink in the 28x28 "what the model saw" view (red channel above a quarter).
      seenInk: (() => {
        const c = document.getElementById('seen');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) n += d[i] > 64 ? 1 : 0;
        return n;
      })(),
    };
  });
}

// Pixels with ink on the pad (alpha > 0), to tell a blank pad from a drawn one.
function inkPixels(page) {
  return page.evaluate(() => {
    const c = document.getElementById('pad');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) n += d[i] > 0 ? 1 : 0;
    return n;
  });
}

module.exports = { ROOT, SITE, ARTIFACTS, launch, watch, ready, serve, drawWithMouse, drawWithTouch, readResult, inkPixels };
