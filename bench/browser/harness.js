// Shared by the three benchmark pages; loaded first, as a classic script.
// The runner injects window.BENCH_PIXELS (784 uint8, MNIST order) before any page script runs,
// so the input costs no request and no time on the page.
'use strict';
(() => {
  // Count Workers: a single-threaded run must create none (threaded wasm builds spawn pthread
  // workers), which is a stronger check than trusting the libraries' own settings.
  let workers = 0;
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(...args) { super(...args); workers++; }
  };

  const input = Float32Array.from(window.BENCH_PIXELS || [], (v) => v / 255);

  // `load` resolves to {predict, info}; predict(Float32Array784) returns the 10 probabilities
  // (or a promise of them), read back into JS.
  window.bench = {
    async start(load) {
      try {
        if (input.length !== 784) throw new Error('no input: window.BENCH_PIXELS not injected');
        const { predict, info } = await load();
        let p = predict(input);
        if (p && p.then) p = await p;
        // timeOrigin is navigation start, so this is "navigation -> first prediction in JS".
        const ms = performance.now();
        window.bench.predict = predict;
        window.benchFirst = { ms, probabilities: Array.from(p), info: { ...info, workers, crossOriginIsolated } };
      } catch (e) {
        window.benchError = String((e && e.stack) || e);
      }
    },

    // Individually timed calls on the same input, after a warm-up. Sync implementations are not
    // awaited, so they pay no microtask; async ones (ORT) pay what their users pay.
    async latency(warmup, calls) {
      const predict = window.bench.predict;
      const once = async () => { const p = predict(input); return p && p.then ? await p : p; };
      for (let i = 0; i < warmup; i++) await once();
      const times = new Float64Array(calls);
      for (let i = 0; i < calls; i++) {
        const t0 = performance.now();
        const p = predict(input);
        if (p && p.then) await p;
        times[i] = performance.now() - t0;
      }
      return { times: Array.from(times), workers };
    },
  };
})();
