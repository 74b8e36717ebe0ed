// DigitsModel: the JavaScript face of the digits core compiled to WebAssembly.
//
// Appended to Emscripten's generated factory (createDigitsCore) to make one classic script,
// digits.js, that works from a web server, from file://, in a worker and under node:
//
//   <script src="digits.js"></script>
//   const model = await DigitsModel.load();                 // wasm + embedded int8 weights
//   const r = model.predictStrokes([[[10, 10], [12, 40]]]); // or predictImage / predictPixels28
//   r.digit, r.confidence, r.probabilities, r.empty, r.uncertain, r.image (28x28 the net saw)
//   const n = model.readStrokes(strokes);                   // a whole number (or readImage)
//   n.text ("2026", "12.50", "-4"), n.empty, n.digits[i]: an answer as above plus box {x, y,
//   width, height}, touching; n.separators[i]: {symbol ('.', ',', ':' or '-'), after (the digit
//   it follows; -1: a minus sign), box}
//
// Errors (bad input, no WebAssembly) are thrown as Error objects with a message meant for people.
// For a sooner first prediction, a page inlines wasm/start.js at the top of its <head>: it starts
// the right build's download before this script has arrived, and load() takes that module.
(function (root) {
  'use strict';
  const factory = createDigitsCore; // defined by the Emscripten output just above
  const PIXELS = 28 * 28;
  const CLASSES = 10;
  // The Answer struct of wasm/bindings.cpp: digit, confidence, probabilities[10], empty,
  // uncertain, elapsed_ms (4 bytes each), then image[784] bytes.
  const ANSWER_IMAGE_OFFSET = 4 * (2 + CLASSES + 3);
  const ANSWER_BYTES = ANSWER_IMAGE_OFFSET + PIXELS;
  // ReadAnswer: count, elapsed_ms, then ReadDigit[32]: an Answer, box[4] floats, touching; then
  // the separator count and ReadSeparator[32]: symbol, after, box[4] (4 bytes each); then core's
  // text, NUL-terminated.
  const READ_DIGIT_BYTES = ANSWER_BYTES + 20;
  const READ_SEPARATORS_OFFSET = 8 + 32 * READ_DIGIT_BYTES;
  const READ_SEPARATOR_BYTES = 24;
  const READ_TEXT_OFFSET = READ_SEPARATORS_OFFSET + 4 + 32 * READ_SEPARATOR_BYTES;

  // Where digits.js was loaded from: digits.wasm and digits-wasm.js sit next to it.
  const scriptUrl =
    typeof document !== 'undefined' && document.currentScript ? document.currentScript.src : '';

  function baseOf(url) {
    return url ? url.slice(0, url.lastIndexOf('/') + 1) : '';
  }

  // A tiny module, (func (result v128) (i8x16.splat (i32.const 0))): it validates only where
  // WebAssembly SIMD128 exists.
  const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1,
    0, 10, 8, 1, 6, 0, 65, 0, 253, 15, 11]);

  // (func (result v128) (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.const 0) x3)): validates only
  // where the relaxed-SIMD extension exists (Chrome 114+, Firefox 120+; not Safari yet).
  const RELAXED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1,
    0, 10, 61, 1, 59, 0].concat([].concat.apply([], [0, 1, 2].map(function () {
    return [253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  })), [253, 147, 2, 11]));

  function hasRelaxedSimd() {
    try {
      return WebAssembly.validate(RELAXED_PROBE);
    } catch (e) {
      return false;
    }
  }

  // The two builds of the same core: relaxed SIMD (int8 dot-product kernels, ~2x faster) where
  // the browser has it, plain SIMD128 everywhere else. Both modules run under the one Emscripten
  // glue in this file (they import and export the same names: scripts/make-site.js checks), so
  // choosing the relaxed build costs no second script.
  const VARIANTS = {
    relaxed: { name: 'relaxed', wasm: 'digits-relaxed.wasm', inline: 'digits-relaxed-wasm.js',
      base64: 'DIGITS_RELAXED_WASM_BASE64' },
    simd128: { name: 'simd128', wasm: 'digits.wasm', inline: 'digits-wasm.js', base64: 'DIGITS_WASM_BASE64' },
  };

  // Milliseconds for load()'s phases (performance.now() is in browsers and node alike).
  function now() {
    return typeof performance === 'object' ? performance.now() : Date.now();
  }

  function isNode() {
    return typeof process === 'object' && process.versions && process.versions.node &&
      typeof document === 'undefined';
  }

  function loadScript(url) {
    return new Promise(function (resolve, reject) {
      if (typeof document === 'undefined') {
        importScripts(url);  // a worker
        return resolve();
      }
      const s = document.createElement('script');
      s.src = url;
      s.onload = function () { resolve(); };
      s.onerror = function () { reject(new Error('Could not load ' + url)); };
      document.head.appendChild(s);
    });
  }

  // Streaming compilation where the server sends application/wasm, else from the bytes.
  function compileWasm(url) {
    const bytes = function () {
      return fetch(url, { credentials: 'same-origin' }).then(function (r) {
        if (!r.ok) throw new Error('could not download ' + url + ' (HTTP ' + r.status + ')');
        return r.arrayBuffer();
      }).then(function (b) { return WebAssembly.compile(b); });
    };
    if (typeof WebAssembly.compileStreaming !== 'function') return bytes();
    return WebAssembly.compileStreaming(fetch(url, { credentials: 'same-origin' })).catch(bytes);
  }

  function checkSupport() {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
      return 'This browser cannot run WebAssembly (it may be disabled), so the model cannot run here.';
    }
    try {
      if (!WebAssembly.validate(SIMD_PROBE)) {
        return 'This browser runs WebAssembly but not its SIMD extension, which the model needs ' +
               '(Chrome 91+, Firefox 89+, Safari 16.4+).';
      }
    } catch (e) {
      return 'WebAssembly is not usable here: ' + e.message;
    }
    return '';
  }

  // file:// pages cannot fetch digits.wasm, so they load digits-wasm.js, a classic script that
  // defines the same bytes as base64.
  function loadInlineWasm(base, variant) {
    const have = typeof root[variant.base64] === 'string';
    return (have ? Promise.resolve() : loadScript(base + variant.inline)).then(function () {
      const b64 = root[variant.base64];
      const text = atob(b64);
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; ++i) bytes[i] = text.charCodeAt(i);
      return bytes;
    });
  }

  class DigitsModel {
    // options.precision: 'int8' (default: fastest, same accuracy) or 'f32' (the reference).
    // options.simd: 'auto' (default: relaxed SIMD where available), 'relaxed' or 'simd128'.
    // options.baseUrl: where the .wasm files live (default: next to digits.js).
    // options.wasmBinary: the wasm bytes of the chosen variant, if the caller already has them.
    // The model's info.loadMs says where loading spent its time, in ms after load() was called:
    // compiled (the wasm module compiled; null when it was not compiled separately, e.g. from
    // file:// or node), started (its runtime up) and opened (the model's weights checked,
    // unpacked and laid out for XNNPACK: ready to predict).
    static async load(options) {
      const t0 = now();
      const loadMs = { compiled: null, started: 0, opened: 0 };
      options = options || {};
      const problem = checkSupport();
      if (problem) throw new Error(problem);
      const base = options.baseUrl !== undefined ? options.baseUrl : baseOf(scriptUrl);
      const want = options.simd || 'auto';
      if (want === 'relaxed' && !hasRelaxedSimd()) {
        throw new Error('This browser has no WebAssembly relaxed SIMD (use simd: "auto").');
      }
      const relaxed = want === 'relaxed' || (want === 'auto' && hasRelaxedSimd());
      let variant = relaxed ? VARIANTS.relaxed : VARIANTS.simd128;
      const fromDisk = typeof location !== 'undefined' && location.protocol === 'file:';
      // A variant's module: its bytes, or over http(s) the module itself, compiled as it downloads.
      const source = function (v) {
        if (options.wasmBinary) return Promise.resolve({ binary: options.wasmBinary });
        if (isNode()) {  // node's fetch() cannot read local files
          return Promise.resolve().then(function () {
            return { binary: require('fs').readFileSync(require('path').join(__dirname, v.wasm)) };
          });
        }
        if (fromDisk) return loadInlineWasm(base, v).then(function (binary) { return { binary: binary }; });
        // The page's head may have started this very download already (start.js).
        const url = new URL(base + v.wasm, location.href).href;
        const early = root.DigitsModelStart;
        const compiled = early && early.url === url
          ? early.compiled.catch(function () { return compileWasm(url); })
          : compileWasm(url);
        return compiled.then(function (module) {
          loadMs.compiled = now() - t0;
          return { module: module };
        });
      };
      const cannotStart = function (e) {
        return new Error('The model could not start: ' + (e && e.message ? e.message : e));
      };
      const wasm = await source(variant).catch(function (e) {
        if (want !== 'auto' || variant === VARIANTS.simd128) throw e;
        variant = VARIANTS.simd128;  // a site built without the relaxed variant
        return source(variant);
      }).catch(function (e) { throw cannotStart(e); });
      const config = { locateFile: function (name) { return base + name; } };
      let failed = null;
      if (wasm.binary) {
        config.wasmBinary = wasm.binary;
      } else {
        failed = new Promise(function (resolve, reject) {
          config.instantiateWasm = function (imports, receive) {
            WebAssembly.instantiate(wasm.module, imports).then(function (instance) {
              receive(instance, wasm.module);
            }).catch(reject);
            return {};  // Emscripten: instantiation is asynchronous
          };
        });
      }
      let core;
      try {
        core = await (failed ? Promise.race([factory(config), failed]) : factory(config));
      } catch (e) {
        throw cannotStart(e);
      }
      loadMs.started = now() - t0;
      const precision = options.precision === 'f32' ? 0 : 1;
      const session = core._digits_session_open(precision);
      if (!session) throw new Error('Out of memory while loading the model.');
      const error = core.UTF8ToString(core._digits_session_error(session));
      if (error) {
        core._digits_session_close(session);
        throw new Error('The model could not load: ' + error);
      }
      loadMs.opened = now() - t0;
      const model = new DigitsModel(core, session, variant.name);
      model.info.loadMs = loadMs;
      return model;
    }

    constructor(core, session, simd) {
      this._core = core;
      this._session = session;
      this.info = { metadata: {} };
      for (let i = 0; ; ++i) {
        const k = core._digits_session_info_key(session, i);
        if (!k) break;
        const key = core.UTF8ToString(k), value = core.UTF8ToString(core._digits_session_info_value(session, i));
        if (key.startsWith('metadata.')) this.info.metadata[key.slice(9)] = value;
        else this.info[key] = key === 'blob_version' || key === 'temperature' ? Number(value) : value;
      }
      this.info.simd = simd;  // which build runs: 'relaxed' or 'simd128'
    }

    // Strokes: an array of strokes, each an array of points [x, y] or {x, y}, in any coordinate
    // space (CSS pixels are fine). The result does not depend on size, position or pen width.
    predictStrokes(strokes) {
      return this._withStrokes(strokes, (xy, lengths, n) =>
        this._answer(this._core._digits_predict_strokes(this._session, xy, lengths, n)));
    }

    // A whole number, left to right: {text, empty, elapsedMs, digits: [answer + box + touching],
    // separators: [{symbol, after, box}]}.
    // One digit answers exactly as predictStrokes / predictImage do.
    readStrokes(strokes) {
      return this._withStrokes(strokes, (xy, lengths, n) =>
        this._reading(this._core._digits_read_strokes(this._session, xy, lengths, n)));
    }

    readImage(data, width, height) {
      return this._withRgba(data, width, height, (p, w, h) =>
        this._reading(this._core._digits_read_rgba(this._session, p, w, h)));
    }

    _withStrokes(strokes, call) {
      if (!Array.isArray(strokes)) throw new TypeError('strokes must be an array of strokes');
      let total = 0;
      for (const s of strokes) {
        if (!Array.isArray(s)) throw new TypeError('each stroke must be an array of points');
        total += s.length;
      }
      const core = this._core;
      const xy = this._alloc(8 * Math.max(total, 1));
      const lengths = this._alloc(4 * Math.max(strokes.length, 1));
      try {
        const f = new Float32Array(core.HEAPF32.buffer, xy, 2 * total);
        let at = 0;
        strokes.forEach(function (s, i) {
          core.HEAP32[(lengths >> 2) + i] = s.length;
          for (const p of s) {
            const x = Array.isArray(p) ? p[0] : p.x;
            const y = Array.isArray(p) ? p[1] : p.y;
            if (!Number.isFinite(x) || !Number.isFinite(y)) {
              throw new TypeError('stroke ' + i + ' has a point that is not two finite numbers');
            }
            f[at++] = x;
            f[at++] = y;
          }
        });
        return call(xy, lengths, strokes.length);
      } finally {
        core._free(xy);
        core._free(lengths);
      }
    }

    // RGBA pixels, e.g. canvas ImageData (or {data, width, height}): dark-on-light,
    // light-on-dark and ink-on-transparent are all detected.
    predictImage(data, width, height) {
      return this._withRgba(data, width, height, (p, w, h) =>
        this._answer(this._core._digits_predict_rgba(this._session, p, w, h)));
    }

    _withRgba(data, width, height, call) {
      if (data && data.data && width === undefined) {
        width = data.width;
        height = data.height;
        data = data.data;
      }
      if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
        throw new TypeError('width and height must be positive integers');
      }
      if (!data || data.length !== width * height * 4) {
        throw new TypeError('expected ' + width + 'x' + height + 'x4 RGBA bytes, got ' +
                            (data ? data.length : 0));
      }
      const core = this._core;
      const p = this._alloc(data.length);
      try {
        core.HEAPU8.set(data, p);
        return call(p, width, height);
      } finally {
        core._free(p);
      }
    }

    // 784 values 0..1, white ink on black, already centred like MNIST: runs the network only.
    predictPixels28(pixels) {
      return this._withPixels28(pixels, (p) => this._answer(this._core._digits_predict28(this._session, p)));
    }

    // Where a prediction spends its time in this browser: `runs` (default 100) runs of the
    // network on these 784 pixels (as predictPixels28 takes them), timed operator by operator by
    // XNNPACK's profiler on a runtime of their own. [{operator, microseconds}], in the order they
    // run; microseconds is the mean per run (XNNPACK counts whole microseconds per run, so an
    // operator under 1 us reads low). For finding what one engine runs slower than another.
    profile(pixels, runs) {
      runs = runs === undefined ? 100 : runs;
      if (!Number.isInteger(runs) || runs < 1) throw new TypeError('runs must be a positive integer');
      return this._withPixels28(pixels, (p) => {
        const core = this._core;
        const text = core._digits_session_profile(this._session, p, runs);
        if (!text) throw new Error(core.UTF8ToString(core._digits_session_error(this._session)));
        return core.UTF8ToString(text).split('\n').filter(Boolean).map(function (line) {
          const tab = line.lastIndexOf('\t');
          return { operator: line.slice(0, tab), microseconds: Number(line.slice(tab + 1)) };
        });
      });
    }

    _withPixels28(pixels, call) {
      if (!pixels || pixels.length !== PIXELS) {
        throw new TypeError('expected 784 values (28x28), got ' + (pixels ? pixels.length : 0));
      }
      const core = this._core;
      const p = this._alloc(4 * PIXELS);
      try {
        core.HEAPF32.set(pixels, p >> 2);
        return call(p);
      } finally {
        core._free(p);
      }
    }

    // Frees the WebAssembly memory this model holds. The object cannot be used afterwards.
    dispose() {
      if (this._session) this._core._digits_session_close(this._session);
      this._session = 0;
    }

    _alloc(bytes) {
      if (!this._session) throw new Error('this DigitsModel was disposed');
      const p = this._core._malloc(bytes);
      if (!p) throw new Error('Out of memory (' + bytes + ' bytes): the input is too large.');
      return p;
    }

    _reading(ptr) {
      const core = this._core;
      if (!ptr) throw new Error(core.UTF8ToString(core._digits_session_error(this._session)));
      const count = core.HEAP32[ptr >> 2];
      const digits = [];
      for (let i = 0; i < count; ++i) {
        const at = ptr + 8 + i * READ_DIGIT_BYTES;
        const d = this._answer(at);
        const b = (at + ANSWER_BYTES) >> 2;
        d.box = { x: core.HEAPF32[b], y: core.HEAPF32[b + 1], width: core.HEAPF32[b + 2], height: core.HEAPF32[b + 3] };
        d.touching = core.HEAP32[b + 4] === 1;
        delete d.elapsedMs;
        digits.push(d);
      }
      const separators = [];
      const n = core.HEAP32[(ptr + READ_SEPARATORS_OFFSET) >> 2];
      for (let i = 0; i < n; ++i) {
        const s = (ptr + READ_SEPARATORS_OFFSET + 4 + i * READ_SEPARATOR_BYTES) >> 2;
        separators.push({
          symbol: String.fromCharCode(core.HEAP32[s]),
          after: core.HEAP32[s + 1],
          box: { x: core.HEAPF32[s + 2], y: core.HEAPF32[s + 3], width: core.HEAPF32[s + 4], height: core.HEAPF32[s + 5] },
        });
      }
      return {
        text: core.UTF8ToString(ptr + READ_TEXT_OFFSET),
        digits: digits,
        separators: separators,
        empty: count === 0,
        elapsedMs: core.HEAPF32[(ptr >> 2) + 1],
      };
    }

    _answer(ptr) {
      const core = this._core;
      if (!ptr) throw new Error(core.UTF8ToString(core._digits_session_error(this._session)));
      const f = core.HEAPF32, i32 = core.HEAP32, w = ptr >> 2;
      const empty = i32[w + 2 + CLASSES] === 1;
      return {
        digit: empty ? null : i32[w],
        confidence: f[w + 1],
        probabilities: Array.from(f.subarray(w + 2, w + 2 + CLASSES)),
        empty: empty,
        uncertain: i32[w + 3 + CLASSES] === 1,
        elapsedMs: f[w + 4 + CLASSES],
        image: core.HEAPU8.slice(ptr + ANSWER_IMAGE_OFFSET, ptr + ANSWER_IMAGE_OFFSET + PIXELS),
      };
    }
  }

  // Whether load() will pick the relaxed-SIMD build here (the service worker asks, to cache only
  // the build this browser runs).
  DigitsModel.hasRelaxedSimd = hasRelaxedSimd;

  root.DigitsModel = DigitsModel;
  if (typeof module === 'object' && module.exports) module.exports = DigitsModel;
})(typeof self !== 'undefined' ? self : globalThis);
