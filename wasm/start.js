// Starts the model's download before digits.js has arrived: inlined at the top of the page's
// <head> (scripts/make-site.js puts it there, with its hash in the page's CSP), it picks the build
// this browser will run and compiles it as the bytes come in. DigitsModel.load() then takes that
// module (window.DigitsModelStart) instead of asking for the file itself once its script has run.
// On the script element, data-base: where the .wasm files are, relative to the page (default: next
// to it); data-simd: the build the page will ask load() for, 'relaxed' or 'simd128' (default: the
// one load() picks by itself). Nothing starts from file:// (no fetch there; load() reads the
// inline build).
(function () {
  'use strict';
  if (location.protocol === 'file:' || typeof WebAssembly !== 'object' ||
      typeof WebAssembly.compileStreaming !== 'function') return;
  // api.js's RELAXED_PROBE: validates only where relaxed SIMD exists (load() asks the same).
  var probe = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0];
  for (var i = 0; i < 3; ++i) probe.push(253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  probe.push(253, 147, 2, 11);
  var script = document.currentScript;
  var simd = script && script.getAttribute('data-simd');
  var relaxed = simd === 'relaxed';
  if (!simd) {
    try {
      relaxed = WebAssembly.validate(new Uint8Array(probe));
    } catch (e) {}
  }
  var base = (script && script.getAttribute('data-base')) || '';
  var url = new URL(base + (relaxed ? 'digits-relaxed.wasm' : 'digits.wasm'), location.href).href;
  var compiled = WebAssembly.compileStreaming(fetch(url, { credentials: 'same-origin' }));
  compiled.catch(function () {});  // load() tries again itself, and reports what went wrong
  window.DigitsModelStart = { url: url, compiled: compiled };
})();
