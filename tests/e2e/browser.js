// Shared helpers for the browser tests, on whichever engine engines.js drives: the site served
// by scripts/serve.js, drawing with real pointer input, and reading what the page shows.
'use strict';
const fs = require('fs');
const path = require('path');
const engines = require('./engines.js');
const { serve } = require('../../scripts/serve.js');

const ROOT = path.resolve(__dirname, '..', '..');
const SITE = process.env.DIGITS_SITE || path.join(ROOT, 'build', 'site');
const ARTIFACTS = path.join(process.env.DIGITS_ARTIFACTS || path.join(ROOT, 'build', 'test-artifacts'),
  engines.get().name);
const PEN = path.resolve(ROOT, '..', 'shared', 'data', 'unipen-dev', 'digits.json');

// The site as the engine under test is given it (see engines.js: WebKit's copy).
function site(engine) {
  if (!fs.existsSync(path.join(SITE, 'index.html'))) throw new Error(`${SITE} has no index.html: run make site`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return engine.site(SITE, ARTIFACTS);
}

async function ready(page) {
  await page.waitFor(() => document.documentElement.dataset.ready, null, 20000);
  return page.evaluate(() => document.documentElement.dataset.ready);
}

// Draws strokes given in pad fractions (0..1) with real pointer events, `steps` events per
// segment (6 for sparse templates, 1 for dense recorded pen strokes); a finger with touch.
async function draw(page, strokes, { steps = 6, touch = false } = {}) {
  const box = await page.rect('#pad');
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  for (const s of strokes) {
    const points = [at(s[0])];
    for (let i = 1; i < s.length; ++i) {
      const [ax, ay] = at(s[i - 1]), [bx, by] = at(s[i]);
      for (let k = 1; k <= steps; ++k) points.push([ax + (k / steps) * (bx - ax), ay + (k / steps) * (by - ay)]);
    }
    await page.stroke(points, { touch });
  }
}

async function readResult(page) {
  return page.evaluate(() => {
    const r = document.getElementById('result');
    // What is drawn, not what was set: each bar's rendered width as a share of its track.
    const pcts = [...document.querySelectorAll('#bars .fill')].map((f) =>
      (100 * f.getBoundingClientRect().width) / f.parentElement.getBoundingClientRect().width);
    return {
      digit: r.dataset.digit,
      number: r.dataset.number,
      confidence: r.dataset.confidence === undefined ? null : r.dataset.confidence,
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

module.exports = { ROOT, SITE, ARTIFACTS, PEN, site, ready, serve, draw, readResult, inkPixels };
