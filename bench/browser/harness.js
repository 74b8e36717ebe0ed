// Shared by the three benchmark pages; loaded first, as a classic script.
// The runner passes the input in the URL's fragment (#px=<base64 of 784 uint8, MNIST order>), the
// same way on every engine, so it costs no request.
'use strict';
(() => {
  // Count Workers: a single-threaded run must create none (threaded wasm builds spawn pthread
  // workers), which is a stronger check than trusting the libraries' own settings.
  let workers = 0;
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(...args) { super(...args); workers++; }
  };

  const b64 = (/[#&]px=([^&]*)/.exec(location.hash) || [])[1] || '';
  const input = Float32Array.from(atob(decodeURIComponent(b64)), (c) => c.charCodeAt(0) / 255);

  // `load` resolves to {predict, info}; predict(Float32Array784) returns the 10 probabilities
  // (or a promise of them), read back into JS.
  window.bench = {
    async start(load) {
      try {
        if (input.length !== 784) throw new Error('no input: the URL has no #px=<784 bytes, base64>');
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

    // Timed calls on the same input, after a warm-up. Sync implementations are not awaited, so
    // they pay no microtask; async ones (ORT) pay what their users pay. batch = 1: each call timed
    // alone; batch > 1 (for a coarse clock, like WebKit's): each sample is a batch of calls timed
    // together, divided by the batch size.
    // The warm-up is at least `warmup` calls and `warmupMs` of calling, then a pause: engines
    // compile hot WebAssembly functions again with their optimising tier in the background
    // (V8's TurboFan after Liftoff), and 50 calls of 0.3 ms could be timed before that lands —
    // measured in Chromium, 0.41-0.68 ms instead of 0.28 ms for the same build.
    async latency(warmup, calls, batch = 1, warmupMs = 0) {
      const predict = window.bench.predict;
      const once = async () => { const p = predict(input); return p && p.then ? await p : p; };
      const w0 = performance.now();
      for (let i = 0; i < warmup || performance.now() - w0 < warmupMs; i++) await once();
      if (warmupMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        for (let i = 0; i < warmup; i++) await once();
      }
      const samples = Math.max(1, Math.round(calls / batch));
      const times = new Float64Array(samples);
      for (let i = 0; i < samples; i++) {
        const t0 = performance.now();
        for (let k = 0; k < batch; k++) {
          const p = predict(input);
          if (p && p.then) await p;
        }
        times[i] = (performance.now() - t0) / batch;
      }
      return { times: Array.from(times), workers, batch };
    },

    // Ours only (window.benchProfile): the network on this input, operator by operator, by
    // XNNPACK's profiler inside the engine (DigitsModel.profile), `repeats` times `runs` runs,
    // after the latency loop has warmed the engine up. Returns each repeat's list.
    async profile(runs, repeats) {
      const out = [];
      for (let i = 0; i < repeats; i++) {
        out.push(window.benchProfile(input, runs));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return out;
    },

    // Ours only (window.benchRead): readImage on each of `images` ({rgba: base64, width, height}),
    // warmed up together for at least `warmupMs`, then `samples` timed batches of `batch` calls
    // each, the images taking turns so that a drift of the machine hits them alike. Returns the
    // batch size and, per image, its per-call times and the text it read.
    async readCost(images, samples, batch, warmupMs) {
      const read = window.benchRead;
      const inputs = images.map((im) => ({ ...im, rgba: Uint8Array.from(atob(im.rgba), (c) => c.charCodeAt(0)) }));
      const w0 = performance.now();
      while (performance.now() - w0 < warmupMs) for (const im of inputs) read(im.rgba, im.width, im.height);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const times = inputs.map(() => []);
      for (let i = 0; i < samples; i++) {
        inputs.forEach((im, j) => {
          const t0 = performance.now();
          for (let k = 0; k < batch; k++) read(im.rgba, im.width, im.height);
          times[j].push((performance.now() - t0) / batch);
        });
      }
      return { batch, images: inputs.map((im, j) => ({ times: times[j], text: read(im.rgba, im.width, im.height).text })) };
    },

    // The clock's resolution: the smallest step performance.now() takes, in ms.
    resolution() {
      let best = Infinity;
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        let t = t0;
        while (t === t0) t = performance.now();
        best = Math.min(best, t - t0);
      }
      return best;
    },
  };
})();
