#!/usr/bin/env node
// Browser benchmark: ours (DigitsModel, build/site/digits.js) vs TF.js 4.22 wasm vs onnxruntime-web
// 1.30 wasm, the same CNN, one thread each, in headless Chromium, one page at a time.
//   node bench/browser/run.js [--calls 500] [--warmup 50] [--navs 5] [--only digits,tfjs,ort]
// Prints a markdown table and writes build/bench/browser.json. See README.md next to this file.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '../..');
const MODELS = path.join(ROOT, 'build/bench-browser/models');
const OUT_JSON = path.join(ROOT, 'build/bench/browser.json');
const IMPLS = {
  digits: { label: 'ours (DigitsModel wasm, relaxed SIMD where available)', page: '/bench/digits.html' },
  'digits-simd128': { label: 'ours, SIMD128 build (browsers without relaxed SIMD)', page: '/bench/digits.html?simd=simd128' },
  tfjs: { label: 'TF.js 4.22 wasm', page: '/bench/tfjs.html' },
  ort: { label: 'onnxruntime-web 1.30 wasm', page: '/bench/ort.html' },
};

const usage = (msg) => Object.assign(new Error(msg), { usage: true });   // printed without a stack
function parseArgs(argv) {
  const o = { calls: 500, warmup: 50, navs: 5, only: Object.keys(IMPLS), timeout: 300 };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--only' && v) { o.only = v.split(',').map((s) => s.trim()).filter(Boolean); i++; }
    else if (['--calls', '--warmup', '--navs', '--timeout'].includes(k) && Number(v) > 0) { o[k.slice(2)] = Math.floor(Number(v)); i++; }
    else throw usage(`unknown or bad argument ${k} (usage: run.js [--calls N] [--warmup N] [--navs N] [--only digits,tfjs,ort] [--timeout s])`);
  }
  const bad = o.only.filter((n) => !IMPLS[n]);
  if (bad.length || !o.only.length) throw usage(`--only takes a list of ${Object.keys(IMPLS).join(',')}`);
  return o;
}

// ---- static server (scripts/serve.js) ------------------------------------------------------
const { serve: serveFiles } = require('../../scripts/serve.js');
// isolated: with COOP/COEP (fine-grained timers for the latency loop). The timed navigations use
// a plain server instead, like a real site: a cross-origin-isolated page costs ~50 ms more to
// start in Chromium (its own process), for every implementation alike.
function serve(isolated) {
  return serveFiles({
    mounts: {
      '/site/': path.join(ROOT, 'build/site'),
      '/node_modules/': path.join(ROOT, 'node_modules'),
      '/bench/': __dirname,
      '/models/': MODELS,
    },
    // Cross-origin isolation: performance.now() gets its fine (5 us) resolution, not 100 us.
    headers: isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {},
  });
}

// ---- measuring -------------------------------------------------------------------------------
const withTimeout = (promise, ms, what) => Promise.race([promise,
  new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer after ${ms / 1000} s`)), ms).unref())]);
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

// One navigation in a fresh context (so no HTTP cache, no compiled-wasm cache): returns the time to
// the first prediction and, if asked, every response body and the latency samples of that page.
async function navigate(browser, base, impl, pixels, opts, full) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const bodies = [];
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    // A body the page never reads to the end never "finishes" for body(): hence the timeout.
    if (full) page.on('response', (r) => bodies.push(withTimeout(r.body(), 30000, 'response body').then((b) => ({ url: r.url(), status: r.status(), body: b }), (e) => ({ url: r.url(), status: r.status(), error: String(e) }))));
    await page.addInitScript((px) => { window.BENCH_PIXELS = px; }, pixels);
    await page.goto(base + IMPLS[impl].page);
    await page.waitForFunction(() => window.benchFirst || window.benchError, null, { timeout: 60000, polling: 50 });
    const err = await page.evaluate(() => window.benchError);
    if (err) throw new Error(`${impl} page failed: ${err}${consoleErrors.length ? '\nconsole: ' + consoleErrors.join('\n') : ''}`);
    const first = await page.evaluate(() => window.benchFirst);
    if (!full) return { first };
    const responses = await Promise.all(bodies);
    const lat = await withTimeout(page.evaluate(([w, c]) => window.bench.latency(w, c), [opts.warmup, opts.calls]),
      120000, `${impl} latency loop`);
    return { first, responses, lat };
  } finally {
    await context.close();
  }
}

function summarizeFiles(responses, base) {
  const files = responses.map((r) => {
    if (r.error) throw new Error(`could not read the body of ${r.url}: ${r.error}`);
    if (r.status >= 400) throw new Error(`HTTP ${r.status} for ${r.url}`);
    return { url: r.url.replace(base, ''), raw: r.body.length, gzip: zlib.gzipSync(r.body).length };
  }).sort((a, b) => b.raw - a.raw);
  return { files, raw: files.reduce((s, f) => s + f.raw, 0), gzip: files.reduce((s, f) => s + f.gzip, 0) };
}

async function benchImpl(browser, base, plainBase, impl, pixels, opts) {
  // One navigation that records every response body and then the latency loop; its time to first
  // prediction is not in the median because fetching bodies over CDP competes with the page.
  const full = await navigate(browser, base, impl, pixels, opts, true);
  const navMs = [];
  for (let i = 0; i < opts.navs; i++) navMs.push((await navigate(browser, plainBase, impl, pixels, opts, false)).first.ms);
  // One thread means no Worker at all (pthreads are Workers); fail rather than report a wrong number.
  if (full.first.info.workers || full.lat.workers) throw new Error(`${impl} created ${full.lat.workers} Worker(s): not single-threaded`);
  const sorted = [...full.lat.times].sort((a, b) => a - b);
  return {
    label: IMPLS[impl].label,
    medianMs: median(sorted), p90Ms: quantile(sorted, 0.9), minMs: sorted[0], meanMs: sorted.reduce((s, t) => s + t, 0) / sorted.length,
    calls: sorted.length, warmup: opts.warmup,
    navToFirstPredictionMs: median(navMs), navMsAll: navMs,
    ...summarizeFiles(full.responses, base),
    info: { ...full.first.info, workersAfterLatency: full.lat.workers },
    probabilities: full.first.probabilities,
  };
}

// ---- report --------------------------------------------------------------------------------------
const maxAbsDiff = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
const fmtMs = (v) => v.toFixed(3);
const fmtB = (n) => n.toLocaleString('en-US');

function report(results, reference) {
  const lines = [];
  // Ratio: this implementation's median over the faster peer's (TF.js or ORT) median, same run.
  const peers = ['tfjs', 'ort'].filter((n) => results[n]).map((n) => results[n].medianMs);
  const fastestPeer = peers.length ? Math.min(...peers) : NaN;
  lines.push('| impl | median ms | p90 ms | ratio vs faster peer | nav→first prediction ms | bytes raw | bytes gzip |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, r] of Object.entries(results)) {
    r.ratioVsFasterPeer = r.medianMs / fastestPeer;
    lines.push(`| ${r.label} | ${fmtMs(r.medianMs)} | ${fmtMs(r.p90Ms)} | ${Number.isFinite(r.ratioVsFasterPeer) ? r.ratioVsFasterPeer.toFixed(2) + 'x' : '-'} | ${r.navToFirstPredictionMs.toFixed(0)} | ${fmtB(r.raw)} | ${fmtB(r.gzip)} |`);
  }
  lines.push('');
  for (const [name, r] of Object.entries(results)) {
    lines.push(`${r.label}: ${JSON.stringify(r.info)}; navs ms ${r.navMsAll.map((v) => v.toFixed(0)).join(', ')}`);
    for (const f of r.files.slice(0, 6)) lines.push(`    ${fmtB(f.raw).padStart(11)} raw ${fmtB(f.gzip).padStart(10)} gzip  ${f.url}`);
    if (r.files.length > 6) lines.push(`    (+${r.files.length - 6} smaller files)`);
  }
  lines.push('');
  // Same network check: both peers must agree with each other and with TF.js CPU in node.
  const agreement = {};
  const pairs = [['tfjs', 'ort'], ['tfjs', 'reference'], ['ort', 'reference']];
  const probs = { ...Object.fromEntries(Object.entries(results).map(([n, r]) => [n, r.probabilities])), reference: reference.tfjsCpuProbabilities };
  for (const [a, b] of pairs) if (probs[a] && probs[b]) agreement[`${a}-${b}`] = maxAbsDiff(probs[a], probs[b]);
  const ok = Object.values(agreement).every((d) => d < 1e-4);
  lines.push(`same network check (max |Δp| over 10 probabilities; reference = TF.js CPU in node): ${Object.entries(agreement).map(([k, d]) => `${k} ${d.toExponential(1)}`).join(', ') || 'n/a (needs tfjs or ort)'} → ${ok ? 'OK' : 'MISMATCH'}`);
  if (results.digits) {
    const p = results.digits.probabilities;
    lines.push(`ours (trained weights, not comparable): digit ${p.indexOf(Math.max(...p))} p=${Math.max(...p).toFixed(4)} on MNIST test image 0 (a 7)`);
  }
  return { text: lines.join('\n'), agreement, agreementOk: ok };
}

// ---- main --------------------------------------------------------------------------------------
async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const modelFiles = ['model.onnx', 'tfjs/model.json', 'tfjs/weights.bin', 'reference.json'];
  if (!modelFiles.every((f) => fs.existsSync(path.join(MODELS, f))))
    execFileSync(process.execPath, [path.join(__dirname, 'make-models.js')], { stdio: 'inherit' });
  const reference = JSON.parse(fs.readFileSync(path.join(MODELS, 'reference.json'), 'utf8'));

  const ours = opts.only.filter((n) => n.startsWith('digits'));
  if (ours.length && !fs.existsSync(path.join(ROOT, 'build/site/digits.js'))) {
    if (opts.only.length === ours.length) throw usage('build/site/digits.js not found: build the site first');
    console.log('skipping ours: build/site/digits.js not found (build the WebAssembly site first)');
    opts.only = opts.only.filter((n) => !n.startsWith('digits'));
  }

  const server = await serve(true);
  const plain = await serve(false);
  const base = `http://127.0.0.1:${server.address().port}`;
  const plainBase = `http://127.0.0.1:${plain.address().port}`;
  let browser;
  const cleanup = async () => { if (browser) await browser.close().catch(() => {}); server.close(); plain.close(); };
  // Global timeout: report, close the browser, exit non-zero even if something hangs.
  const timer = setTimeout(() => {
    console.error(`bench/browser: timed out after ${opts.timeout} s`);
    cleanup().finally(() => process.exit(2));
    setTimeout(() => process.exit(2), 5000).unref();
  }, opts.timeout * 1000);
  try {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    console.log(`Chromium ${browser.version()}, ${opts.calls} timed calls after ${opts.warmup} warm-up, ${opts.navs} navigations each; server ${base}`);
    const results = {};
    for (const impl of opts.only) {   // sequential: one page at a time, nothing competes for the CPU
      process.stdout.write(`${impl}... `);
      results[impl] = await benchImpl(browser, base, plainBase, impl, reference.pixels, opts);
      console.log(`median ${fmtMs(results[impl].medianMs)} ms`);
    }
    const rep = report(results, reference);
    console.log('\n' + rep.text);
    fs.mkdirSync(path.dirname(OUT_JSON), { recursive: true });
    fs.writeFileSync(OUT_JSON, JSON.stringify({
      date: new Date().toISOString(), chromium: browser.version(), options: opts,
      agreement: rep.agreement, agreementOk: rep.agreementOk, results,
    }, null, 1));
    console.log(`\nwrote ${path.relative(ROOT, OUT_JSON)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    if (!rep.agreementOk) throw new Error('TF.js and ORT disagree: the two peer models are not the same network');
  } finally {
    clearTimeout(timer);
    await cleanup();
  }
}

module.exports = { serve };   // for poking at the server by hand
if (require.main === module) main().catch((e) => { console.error(`bench/browser: ${e.usage ? e.message : e.stack || e}`); process.exit(1); });
