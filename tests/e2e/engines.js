// The browser engines the site is tested on, behind one small page API, so that every test body
// in page.test.js runs unchanged on each of them:
//
//   chromium  Debian's Chromium, driven by playwright-core (Chrome DevTools Protocol)
//   firefox   Debian's Firefox ESR, driven by puppeteer-core over WebDriver BiDi (headless)
//   webkit    WebKitGTK's MiniBrowser (Safari's engine), driven by selenium-webdriver through
//             Debian's WebKitWebDriver; it needs an X display (run under xvfb-run -a)
//
// DIGITS_ENGINE picks one (default chromium). DIGITS_CHROMIUM_JS_FLAGS passes V8 flags to Chromium,
// e.g. "--no-enable-avx-vnni --no-enable-avx-vnni-int8" to run WebAssembly as on a CPU without
// AVX-VNNI (where V8 lowers the relaxed int8 dot product differently).
// What an engine's automation cannot do is listed in
// its `cannot` map with the reason, and the tests that need it skip with that reason.
//
//   const engine = engines.get();                      // from DIGITS_ENGINE
//   const browser = await engine.launch({ noWasm });   // WebAssembly switched off in the engine
//   const page = await browser.open(url, { width, height, phone, watch });
//   (watch: false leaves out page-watch.js, for benchmarks; WebKit's pages never have it)
//   await page.click('#predict'); await page.evaluate((a) => ..., arg); page.problems();
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const WATCH = fs.readFileSync(path.join(__dirname, 'page-watch.js'), 'utf8');
const DESKTOP = { width: 1000, height: 800 };
// How long a WebKitWebDriver command may take before the driver counts as hung.
const COMMAND_MS = 90000;

// ---- the page API every engine implements ---------------------------------------------------
// Each engine's open() gives a Page its own goto(url), reload(), click(selector), tap(selector),
// setFile(selector, file), resize(width, height), offline(on), screenshot(file, fullPage),
// problems() (console errors, uncaught errors, failed requests and HTTP errors seen so far) and
// close(), plus the three primitives the shared methods below build on: _evaluate(fn, arg),
// _press(key, modifiers) and _stroke(points, touch).
class Page {
  // Runs fn(arg) in the page (fn may be async; arg and result are JSON values).
  evaluate(fn, arg) {
    return this._evaluate(fn, arg === undefined ? null : arg);
  }

  // Polls fn(arg) in the page until it returns something truthy.
  async waitFor(fn, arg, timeout = 15000) {
    const end = Date.now() + timeout;
    for (;;) {
      const v = await this.evaluate(fn, arg);
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${fn.toString().slice(0, 200)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  // 'Enter', 'Escape', 'Tab', 'Control+z'.
  press(keys) {
    const parts = keys.split('+');
    return this._press(parts.pop(), parts);
  }

  // One stroke with real pointer input: points in CSS pixels of the viewport.
  stroke(points, { touch = false } = {}) { return this._stroke(points, touch); }

  rect(selector) {
    return this.evaluate((s) => {
      const r = document.querySelector(s).getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    }, selector);
  }

  isDisabled(selector) { return this.evaluate((s) => document.querySelector(s).disabled, selector); }
  textContent(selector) { return this.evaluate((s) => document.querySelector(s).textContent, selector); }

  // CSP violations recorded by page-watch.js since the page was opened (reloads included).
  violations() { return this.evaluate(() => window.__e2eWatchRead().violations); }
}

// ---- what playwright and puppeteer pages share (the same event and mouse APIs) ---------------
function protocolProblems(p) {
  const seen = [];
  p.on('console', (m) => { if (m.type() === 'error') seen.push('console: ' + m.text()); });
  p.on('pageerror', (e) => seen.push('page error: ' + e.message));
  p.on('requestfailed', (r) => seen.push('request failed: ' + r.url() + ' ' + ((r.failure() || {}).errorText || '')));
  p.on('response', (r) => { if (r.status() >= 400) seen.push('HTTP ' + r.status() + ' ' + r.url()); });
  return seen;
}

async function mouseStroke(mouse, points) {
  await mouse.move(points[0][0], points[0][1]);
  await mouse.down();
  for (const [x, y] of points.slice(1)) await mouse.move(x, y);
  await mouse.up();
}

// ---- Chromium: playwright-core -------------------------------------------------------------
const chromium = {
  name: 'chromium',
  cannot: {},
  site: (site) => site,
  async launch({ noWasm = false } = {}) {
    const { chromium: pw } = require('playwright-core');
    const browser = await pw.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--disable-frame-rate-limit', '--disable-gpu-vsync',
        // V8 without JIT has no WebAssembly (like browsers in "lockdown" / enhanced-security
        // modes); --noexpose_wasm no longer hides it in Chromium 156.
        ...(noWasm ? ['--js-flags=--jitless']
          : process.env.DIGITS_CHROMIUM_JS_FLAGS ? ['--js-flags=' + process.env.DIGITS_CHROMIUM_JS_FLAGS] : [])],
    });
    return {
      version: browser.version(),
      async open(url, { width, height, phone, watch = true } = {}) {
        // A fresh context (no cache, no service worker) per page. Reduced motion: the bars are
        // measured as drawn, without waiting out their transition.
        const context = await browser.newContext(Object.assign({ reducedMotion: 'reduce' }, phone
          ? { viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 }
          : { viewport: { width: width || DESKTOP.width, height: height || DESKTOP.height } }));
        if (watch) await context.addInitScript(WATCH);
        const pwPage = await context.newPage();
        const page = new Page();
        const seen = protocolProblems(pwPage);
        Object.assign(page, {
          problems: async () => seen.slice(),
          _evaluate: (fn, arg) => pwPage.evaluate(fn, arg),
          goto: (u) => pwPage.goto(u),
          reload: () => pwPage.reload(),
          click: (s) => pwPage.click(s),
          tap: (s) => pwPage.tap(s),
          _press: (key, mods) => pwPage.keyboard.press([...mods, key].join('+')),
          setFile: (s, f) => pwPage.setInputFiles(s, f),
          resize: (w, h) => pwPage.setViewportSize({ width: w, height: h }),
          offline: (on) => context.setOffline(on),
          screenshot: (f, fullPage) => pwPage.screenshot({ path: f, fullPage }),
          close: () => context.close(),
          async _stroke(points, touch) {
            return touch ? cdpTouch(context, pwPage, points) : mouseStroke(pwPage.mouse, points);
          },
        });
        await page.goto(url);
        return page;
      },
      close: () => browser.close(),
    };
  },
};

// A finger dragging on the page, through the DevTools protocol.
async function cdpTouch(context, pwPage, points) {
  const cdp = await context.newCDPSession(pwPage);
  const at = ([x, y]) => [{ x, y }];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(points[0]) });
  for (const p of points.slice(1)) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(p) });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

// ---- Firefox ESR: puppeteer-core over WebDriver BiDi -----------------------------------------
const firefox = {
  name: 'firefox',
  // A phone here is a 360x640 viewport at device pixel ratio 2 driven by touch actions (BiDi has
  // no isMobile emulation: the page sees a narrow desktop window that gets touch input).
  cannot: {},
  site: (site) => site,
  async launch({ noWasm = false } = {}) {
    const puppeteer = require('puppeteer-core');
    const browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: process.env.FIREFOX || '/usr/bin/firefox-esr',
      headless: true,
      extraPrefsFirefox: Object.assign({ 'ui.prefersReducedMotion': 1 },
        noWasm ? { 'javascript.options.wasm': false } : {}),
    });
    return {
      version: await browser.version(),
      async open(url, { width, height, phone, watch = true } = {}) {
        const context = await browser.createBrowserContext();
        const pp = await context.newPage();
        await pp.setViewport(phone ? { width: 360, height: 640, deviceScaleFactor: 2 }
          : { width: width || DESKTOP.width, height: height || DESKTOP.height });
        if (watch) await pp.evaluateOnNewDocument(WATCH);
        const page = new Page();
        const seen = protocolProblems(pp);
        Object.assign(page, {
          problems: async () => seen.slice(),
          _evaluate: (fn, arg) => pp.evaluate(fn, arg),
          goto: (u) => pp.goto(u),
          reload: () => pp.reload(),
          click: (s) => pp.click(s),
          tap: (s) => pp.tap(s),
          async _press(key, mods) {
            for (const m of mods) await pp.keyboard.down(m);
            await pp.keyboard.press(key);
            for (const m of mods.reverse()) await pp.keyboard.up(m);
          },
          setFile: async (s, f) => (await pp.$(s)).uploadFile(f),
          resize: (w, h) => pp.setViewport({ width: w, height: h }),
          offline: (on) => pp.setOfflineMode(on),
          screenshot: (f, fullPage) => pp.screenshot({ path: f, fullPage }),
          close: () => context.close(),
          async _stroke(points, touch) {
            if (touch) {
              await pp.touchscreen.touchStart(points[0][0], points[0][1]);
              for (const [x, y] of points.slice(1)) await pp.touchscreen.touchMove(x, y);
              return pp.touchscreen.touchEnd();
            }
            return mouseStroke(pp.mouse, points);
          },
        });
        await page.goto(url);
        return page;
      },
      close: () => browser.close(),
    };
  },
};

// ---- WebKitGTK (Safari's engine): selenium-webdriver + WebKitWebDriver ------------------------
// WebKitWebDriver reports no console messages and no network events, and cannot run a script
// before the page's own: the site it is tested on is a copy with page-watch.js loaded first
// (and precached by the service worker), and problems() reads what page-watch.js recorded.
// Every page is a new session (a fresh MiniBrowser: no cache, no service worker).
const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const webkit = {
  name: 'webkit',
  cannot: {
    phone: 'WebKitWebDriver cannot emulate a touch phone (no touch input, no device emulation)',
  },
  // The copy of the site with page-watch.js loaded first, made once per run in `scratch`.
  site(site, scratch) {
    const dir = path.join(scratch, 'webkit-site');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.cpSync(site, dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'e2e-watch.js'), WATCH);
    const index = path.join(dir, 'index.html');
    const html = fs.readFileSync(index, 'utf8').replace(/(<meta http-equiv="Content-Security-Policy"[^>]*>)/,
      '$1\n  <script src="e2e-watch.js"></script>');
    if (!html.includes('e2e-watch.js')) throw new Error('index.html has no CSP meta to load page-watch.js after');
    fs.writeFileSync(index, html);
    const sw = path.join(dir, 'sw.js');
    fs.writeFileSync(sw, fs.readFileSync(sw, 'utf8').replace('const FILES = [', 'const FILES = ["e2e-watch.js",'));
    return dir;
  },
  async launch({ noWasm = false } = {}) {
    const { Builder, By, Key } = require('selenium-webdriver');
    if (!process.env.DISPLAY) throw new Error('WebKitGTK needs an X display: run the tests under xvfb-run -a');
    // prefers-reduced-motion follows GTK's gtk-enable-animations; JSC_useWasm=0 removes
    // WebAssembly from JavaScriptCore (what a locked-down Safari does).
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'digits-webkit-'));
    fs.mkdirSync(path.join(home, 'gtk-3.0'));
    fs.writeFileSync(path.join(home, 'gtk-3.0', 'settings.ini'), '[Settings]\ngtk-enable-animations=false\n');
    const env = Object.assign({}, process.env, { XDG_CONFIG_HOME: home }, noWasm ? { JSC_useWasm: '0' } : {});
    // The driver runs in its own process group, logging to a file: stopping it kills MiniBrowser and
    // its web processes too, and no pipe of theirs keeps node alive.
    const logFile = path.join(home, 'webdriver.log');
    const driverLog = () => fs.readFileSync(logFile, 'utf8');
    let driverProc = null, port = 0;
    const start = async () => {
      port = await freePort();
      const logFd = fs.openSync(logFile, 'a');
      driverProc = spawn(process.env.WEBKIT_WEBDRIVER || 'WebKitWebDriver', [`--port=${port}`],
        { env, stdio: ['ignore', logFd, logFd], detached: true });
      fs.closeSync(logFd);
      driverProc.unref();
      await waitForPort(port, driverProc, driverLog);
    };
    const stop = () => {
      try {
        if (driverProc) process.kill(-driverProc.pid, 'SIGKILL');
      } catch (e) {
        // Already gone.
      }
      driverProc = null;
    };
    // WebKitWebDriver once never answered a command in CI (no error, no timeout of its own), which
    // stalled the suite until CTest killed it. Every command has a deadline: past it the driver and
    // its browsers are killed, the test fails naming the command with the end of the driver's log,
    // and the next page starts a fresh driver. A command slower than a tenth of it is said on the
    // console (none was in a full local run).
    const command = async (what, run) => {
      if (!driverProc) throw new Error(`WebKitWebDriver is not running (${what})`);
      const t0 = Date.now();
      let timer;
      const deadline = new Promise((resolve, reject) => {
        timer = setTimeout(() => {
          const log = driverLog().slice(-2000);
          stop();
          reject(new Error(`WebKitWebDriver did not answer ${what} in ${COMMAND_MS / 1000} s: killed it. ` +
            `Its log ends: ${log || '(empty)'}`));
        }, COMMAND_MS);
      });
      try {
        return await Promise.race([run(), deadline]);
      } finally {
        clearTimeout(timer);
        const took = Date.now() - t0;
        if (took > COMMAND_MS / 10) console.log(`webkit: ${what} took ${(took / 1000).toFixed(1)} s`);
      }
    };
    await start();
    const KEYS = { Enter: Key.ENTER, Escape: Key.ESCAPE, Tab: Key.TAB, Control: Key.CONTROL, Shift: Key.SHIFT };
    let version = '';
    // A session is a fresh MiniBrowser. Only here is a hung driver given a second chance: nothing of
    // the page under test has run yet, so a fresh driver changes nothing the tests check.
    const session = async () => {
      const build = () => new Builder().usingServer(`http://127.0.0.1:${port}`).withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary: process.env.MINIBROWSER || MINIBROWSER, args: ['--automation'] },
      }).build();
      let driver;
      try {
        if (!driverProc) await start();
        driver = await command('a new session', build);
      } catch (e) {
        console.log(`webkit: ${e.message.split('. ')[0]}; starting a fresh WebKitWebDriver`);
        stop();
        await start();
        driver = await command('a new session', build);
      }
      version = 'WebKitGTK ' + (await command('capabilities', () => driver.getCapabilities())).get('browserVersion');
      return driver;
    };
    const first = await session();
    await command('quit', () => first.quit());
    return {
      version,
      async open(url, { width, height } = {}) {
        const driver = await session();
        const page = new Page();
        const resize = async (w, h) => {
          // The window's outer size: grow it until the viewport is what was asked for.
          await command('setRect', () => driver.manage().window().setRect({ width: w, height: h }));
          const inner = await command('innerWidth', () => driver.executeScript('return [innerWidth, innerHeight]'));
          if (inner[0] !== w || inner[1] !== h) {
            await command('setRect', () => driver.manage().window().setRect({ width: 2 * w - inner[0], height: 2 * h - inner[1] }));
          }
        };
        await resize(width || DESKTOP.width, height || DESKTOP.height);
        const element = (s) => command(`findElement ${s}`, () => driver.findElement(By.css(s)));
        Object.assign(page, {
          async _evaluate(fn, arg) {
            const run = () => command(`executeAsyncScript ${fn.toString().slice(0, 80)}`, () => driver.executeAsyncScript(
              `const done = arguments[arguments.length - 1];
              Promise.resolve().then(() => (${fn.toString()})(arguments[0]))
                .then((v) => done({ value: v === undefined ? null : v }), (e) => done({ error: String((e && e.stack) || e) }));`, arg));
            // WebKitWebDriver now and then loses a result it was sent ("Could not parse script
            // result": once in ~5 runs of the suite, on a read of the pad's pixels). The tests'
            // scripts read the page, or set it up in ways that are harmless twice (a focus, an
            // observer, a script the CSP blocks), so it is asked once more; a second loss fails.
            const r = await run().catch((e) => {
              if (!/^Could not parse script result$/.test(e && e.message)) throw e;
              console.log(`webkit: the driver lost a script's result (${e.message}); asking once more`);
              return run();
            });
            if (r.error !== undefined) throw new Error('in the page: ' + r.error);
            return r.value;
          },
          async problems() {
            try {
              return await page.evaluate(() => window.__e2eWatchRead().problems);
            } catch (e) {
              return ['cannot read the page\'s error log: ' + e.message];
            }
          },
          goto: (u) => command(`get ${u}`, () => driver.get(u)),
          reload: () => command('refresh', () => driver.navigate().refresh()),
          // After a failed pointer action (see _stroke) WebKitWebDriver has answered the next
          // click with "Could not parse element info" (seen once in ~20 runs, and once on the
          // retry 200 ms later too): its lookup of the element in the page returned nothing it
          // could read, as when the page is busy or gone. That click is retried on a freshly found
          // element after 0.25, 1 and 2 s, each said on the console; any other error fails, and so
          // does the last retry, with the end of the driver's log (the web process's messages).
          async click(s) {
            const once = async () => {
              const e = await element(s);
              await command(`click ${s}`, () => e.click());
            };
            for (const wait of [250, 1000, 2000, null]) {
              try {
                return await once();
              } catch (err) {
                if (!driverProc || !/Could not parse element info/.test(err.message || '')) throw err;
                if (wait === null) {
                  err.message += `; WebKitWebDriver's log ends: ${driverLog().slice(-1500) || '(empty)'}`;
                  throw err;
                }
                console.log(`webkit: click ${s} failed (${err.message}), retrying in ${wait} ms`);
                await new Promise((r) => setTimeout(r, wait));
              }
            }
          },
          tap: () => { throw new Error(webkit.cannot.phone); },
          async _press(key, mods) {
            let a = driver.actions({ async: true });
            for (const m of mods) a = a.keyDown(KEYS[m]);
            a = a.sendKeys(KEYS[key] || key);
            for (const m of mods.reverse()) a = a.keyUp(KEYS[m]);
            await command(`press ${key}`, () => a.perform());
          },
          setFile: async (s, f) => { const e = await element(s); await command(`sendKeys ${s}`, () => e.sendKeys(f)); },
          resize: resize,
          // No network emulation: the tests take the server down, which is what offline means
          // to the page.
          offline: async () => {},
          screenshot: async (f) => fs.writeFileSync(f, Buffer.from(await command('takeScreenshot', () => driver.takeScreenshot()), 'base64')),
          close: () => (driverProc ? command('quit', () => driver.quit()) : Promise.resolve()),
          async _stroke(points, touch) {
            if (touch) throw new Error(webkit.cannot.phone);
            const at = ([x, y]) => ({ x: Math.round(x), y: Math.round(y), duration: 0 });
            // The button stays down between perform() calls (WebDriver keeps the input state), so
            // a long stroke goes in chunks; WebKitWebDriver now and then fails a perform with an
            // empty error (seen once in ~2 000 strokes): a chunk of absolute moves is retried once,
            // said on the console, which redraws the same segments.
            const perform = async (build) => {
              try {
                await command('pointer actions', () => build(driver.actions({ async: true })).perform());
              } catch (e) {
                if (!driverProc) throw e;
                console.log(`webkit: pointer actions failed (${e.name}: ${e.message || 'no message'}), retrying once`);
                await new Promise((r) => setTimeout(r, 200));
                await command('pointer actions', () => build(driver.actions({ async: true })).perform());
              }
            };
            await perform((a) => a.move(at(points[0])).press());
            for (let i = 1; i < points.length; i += 40) {
              await perform((a) => {
                for (const p of points.slice(i, i + 40)) a = a.move(at(p));
                return a;
              });
            }
            await perform((a) => a.release());
          },
        });
        await page.goto(url);
        return page;
      },
      async close() {
        stop();
        fs.rmSync(home, { recursive: true, force: true });
      },
    };
  },
};

function freePort() {
  return new Promise((resolve, reject) => {
    const s = require('net').createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitForPort(port, proc, log) {
  const net = require('net');
  for (let i = 0; i < 100; ++i) {
    if (proc.exitCode !== null) throw new Error(`WebKitWebDriver exited ${proc.exitCode}: ${log()}`);
    const up = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.end(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`WebKitWebDriver did not listen on port ${port}: ${log()}`);
}

const ENGINES = { chromium, firefox, webkit };

function get(name = process.env.DIGITS_ENGINE || 'chromium') {
  const engine = ENGINES[name];
  if (!engine) throw new Error(`DIGITS_ENGINE=${name}: expected one of ${Object.keys(ENGINES).join(', ')}`);
  return engine;
}

module.exports = { get, names: Object.keys(ENGINES) };
