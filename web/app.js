// The page: a drawing pad, the buttons, and the result view. All recognition happens in
// DigitsModel (digits.js, core compiled to WebAssembly); this file only draws and displays.
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const pad = $('pad'), ctx = pad.getContext('2d');
  const predictButton = $('predict'), undoButton = $('undo'), clearButton = $('clear');
  const live = $('live'), fileInput = $('file');
  const result = $('result'), digitView = $('digit'), message = $('message'), confidenceView = $('confidence');
  const announce = $('announce'), bars = $('bars'), seen = $('seen'), status = $('status'), hint = $('pad-hint');
  const numberList = $('number');

  // Strokes in pad-relative coordinates (0..1), so the drawing survives resizes and DPR changes.
  const strokes = [];
  let current = null;      // the stroke being drawn
  let activePointer = null;
  let model = null;
  let shown = false;       // a prediction (or the empty message) is on screen
  let boxes = [];          // the digits of the number on screen, in pad-relative coordinates
  let marks = [];          // its decimal points and commas, the same way
  let chosen = -1;         // which of them shows its bars
  let livePending = false;

  // ---- Bars: one row per digit, built once -------------------------------------------------
  const rows = [];
  for (let d = 0; d < 10; ++d) {
    const li = document.createElement('li');
    li.innerHTML = '<span class="label"></span><span class="track"><span class="fill"></span></span><span class="pct">–</span>';
    li.querySelector('.label').textContent = String(d);
    bars.appendChild(li);
    rows.push({ li: li, fill: li.querySelector('.fill'), pct: li.querySelector('.pct') });
  }

  // ---- Drawing -------------------------------------------------------------------------------
  function penWidth(size) { return Math.max(3, size * 0.045); }

  function resizePad() {
    const rect = pad.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(rect.width * dpr), h = Math.round(rect.height * dpr);
    if (w > 0 && (pad.width !== w || pad.height !== h)) {
      pad.width = w;
      pad.height = h;
      redraw();
    }
  }

  function strokeStyle() {
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = getComputedStyle(pad).getPropertyValue('--ink').trim() || '#111';
    ctx.fillStyle = ctx.strokeStyle;
    ctx.lineWidth = penWidth(Math.min(pad.width, pad.height));
  }

  // Smooth path: quadratic curves through the midpoints of successive points.
  function drawStroke(points) {
    const w = pad.width, h = pad.height;
    if (points.length === 1) {
      ctx.beginPath();
      ctx.arc(points[0][0] * w, points[0][1] * h, ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(points[0][0] * w, points[0][1] * h);
    for (let i = 1; i < points.length - 1; ++i) {
      const mx = (points[i][0] + points[i + 1][0]) / 2, my = (points[i][1] + points[i + 1][1]) / 2;
      ctx.quadraticCurveTo(points[i][0] * w, points[i][1] * h, mx * w, my * h);
    }
    const last = points[points.length - 1];
    ctx.lineTo(last[0] * w, last[1] * h);
    ctx.stroke();
  }

  function redraw() {
    ctx.clearRect(0, 0, pad.width, pad.height);
    strokeStyle();
    for (const s of strokes) drawStroke(s);
    drawBoxes();
    hint.hidden = strokes.length > 0;
    undoButton.disabled = strokes.length === 0;
  }

  // Where each digit of the number was found (the chosen one solid, uncertain ones in warning colour),
  // and its points and commas (thin, muted).
  function drawBoxes() {
    if (boxes.length < 2) return;
    const w = pad.width, h = pad.height, style = getComputedStyle(pad);
    ctx.save();
    ctx.lineWidth = Math.max(1, Math.min(w, h) * 0.004);
    boxes.forEach((b, i) => {
      ctx.setLineDash(i === chosen ? [] : [4, 4]);
      ctx.strokeStyle = b.uncertain ? (style.getPropertyValue('--warn').trim() || '#8a4b00')
        : (style.getPropertyValue('--accent').trim() || '#1f5fbf');
      const m = 0.01 * Math.min(w, h);
      ctx.strokeRect(b.x * w - m, b.y * h - m, b.width * w + 2 * m, b.height * h + 2 * m);
    });
    ctx.setLineDash([]);
    ctx.strokeStyle = style.getPropertyValue('--muted').trim() || '#666';
    marks.forEach((b) => {
      const m = 0.006 * Math.min(w, h);
      ctx.strokeRect(b.x * w - m, b.y * h - m, b.width * w + 2 * m, b.height * h + 2 * m);
    });
    ctx.restore();
  }

  function padPoint(e) {
    const rect = pad.getBoundingClientRect();
    return [(e.clientX - rect.left) / rect.width, (e.clientY - rect.top) / rect.height];
  }

  pad.addEventListener('pointerdown', (e) => {
    if (activePointer !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    activePointer = e.pointerId;
    pad.setPointerCapture(e.pointerId);
    current = [padPoint(e)];
    strokes.push(current);
    boxes = [];
    marks = [];
    redraw();
  });

  pad.addEventListener('pointermove', (e) => {
    if (e.pointerId !== activePointer) return;
    e.preventDefault();
    // Coalesced events keep fast strokes smooth (the browser batches moves per frame).
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) current.push(padPoint(ev));
    redraw();
    if (live.checked) scheduleLive();
  });

  function endStroke(e) {
    if (e.pointerId !== activePointer) return;
    activePointer = null;
    current = null;
    if (live.checked) scheduleLive();
  }
  pad.addEventListener('pointerup', endStroke);
  pad.addEventListener('pointercancel', endStroke);
  // Belt and braces for older touch browsers: never scroll or zoom while drawing.
  pad.addEventListener('touchstart', (e) => e.preventDefault(), { passive: false });
  pad.addEventListener('touchmove', (e) => e.preventDefault(), { passive: false });

  if (window.ResizeObserver) new ResizeObserver(resizePad).observe(pad);
  window.addEventListener('resize', resizePad);
  resizePad();

  // ---- Predicting ----------------------------------------------------------------------------
  function scheduleLive() {
    if (livePending || !model) return;
    livePending = true;
    requestAnimationFrame(() => {
      livePending = false;
      predict();
    });
  }

  let inFlight = null;  // the server fallback answers asynchronously: one request at a time

  // Whether all the ink is one dot (a tap, a point), its points no further apart than the pen is
  // wide. Core reads strokes whatever their size — it scales them to a digit's — so a tap with a
  // pixel of jitter reads as a sure "1"; only the pad knows how small the ink is.
  function onlyADot(w, h) {
    const pen = penWidth(Math.min(pad.width, pad.height)) * (w / (pad.width || w));
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const s of strokes) {
      for (const p of s) {
        x0 = Math.min(x0, p[0] * w); x1 = Math.max(x1, p[0] * w);
        y0 = Math.min(y0, p[1] * h); y1 = Math.max(y1, p[1] * h);
      }
    }
    return x1 - x0 <= pen && y1 - y0 <= pen;
  }

  function predict() {
    if (!model) return;
    if (strokes.length === 0) return show(null);
    if (inFlight) return inFlight.then(predict);
    // Strokes go to core in pad pixels (core is size- and position-free); boxes come back in them.
    const rect = pad.getBoundingClientRect();
    const w = rect.width || 1, h = rect.height || 1;
    // (Live mode asks while a stroke is still short: say so only once the pen is lifted.)
    if (onlyADot(w, h)) return activePointer === null ? showReading({ empty: true, dot: true }) : undefined;
    const drawn = strokes.length;
    inFlight = Promise.resolve()
      .then(() => model.readStrokes(strokes.map((s) => s.map((p) => [p[0] * w, p[1] * h]))))
      .then((n) => { if (strokes.length === drawn) showReading(n, w, h); },
        (e) => fail('Could not recognise the drawing: ' + e.message))
      .finally(() => { inFlight = null; });
    return inFlight;
  }

  // n: a reading (a number); w, h: the size its boxes are measured in, or 0 when they are not
  // on the pad (an opened image).
  function showReading(n, w, h) {
    numberList.textContent = '';
    numberList.hidden = true;
    boxes = [];
    marks = [];
    chosen = -1;
    result.classList.remove('many');
    // One digit alone reads as a digit; with a sign ("-7") it is a number.
    if (!n || n.empty || (n.digits.length === 1 && !(n.separators && n.separators.length))) {
      result.dataset.number = n && !n.empty ? n.text : '';
      show(n && !n.empty ? n.digits[0] : n && { empty: true, image: null, dot: n.dot });
      redraw();
      return;
    }
    shown = true;
    result.className = 'result many';
    result.dataset.digit = '';
    result.dataset.number = n.text;
    delete result.dataset.confidence;
    const unsure = n.digits.map((d, i) => [d, i]).filter((e) => e[0].uncertain);
    if (unsure.length) result.classList.add('uncertain');
    digitView.textContent = n.text;
    result.style.setProperty('--number-length', String(Math.max(4, n.text.length)));
    const least = n.digits.reduce((m, d) => Math.min(m, d.confidence), 1);
    confidenceView.textContent = 'least sure digit ' + pct(least);
    const joined = unsure.filter((e) => mayBeTwo(e[0]));
    message.textContent = unsure.length
      ? 'Read ' + n.text + ' — not sure about ' + unsure.map((e) => 'digit ' + (e[1] + 1) + ' (' + e[0].digit + ')').join(', ') + '.' +
        (joined.length ? ' ' + TWO_TOUCHING : '')
      : 'Read ' + n.text + '.';
    announce.textContent = 'Read ' + spoken(n.text) + '.' +
      (unsure.length ? ' Not sure about ' + unsure.map((e) => 'digit ' + (e[1] + 1)).join(', ') + '.' : '') +
      (joined.length ? ' ' + TWO_TOUCHING : '');
    n.digits.forEach((d, i) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = d.uncertain ? 'uncertain' : '';
      b.setAttribute('aria-pressed', 'false');
      b.setAttribute('aria-label', 'Digit ' + (i + 1) + ': ' + d.digit + ', confidence ' + pct(d.confidence) +
        (d.uncertain ? ', not sure' : ''));
      b.innerHTML = '<span class="d"></span><span class="c"></span>';
      b.querySelector('.d').textContent = String(d.digit);
      b.querySelector('.c').textContent = pct(d.confidence);
      b.addEventListener('click', () => choose(n, i));
      li.appendChild(b);
      numberList.appendChild(li);
    });
    numberList.hidden = false;
    if (w && h) {  // pad-relative, as the pad is drawn at any size
      const onPad = (b) => ({ x: b.x / w, y: b.y / h, width: b.width / w, height: b.height / h });
      boxes = n.digits.map((d) => Object.assign(onPad(d.box), { uncertain: d.uncertain }));
      marks = (n.separators || []).map((s) => onPad(s.box));
    }
    // The least sure digit first: that is the one to check.
    choose(n, n.digits.findIndex((d) => d.confidence === least));
  }

  function choose(n, i) {
    chosen = i;
    numberList.querySelectorAll('button').forEach((b, k) => b.setAttribute('aria-pressed', String(k === i)));
    showBars(n.digits[i]);
    redraw();
  }

  // An unsure answer whose ink is wider than a digit (or that core cut or flagged as touching)
  // is most often two digits written into each other: the model is trained to be unsure of
  // those, so say what helps.
  const mayBeTwo = (d) => d.touching || (d.box && d.box.width > 1.1 * d.box.height);
  const TWO_TOUCHING = 'If you wrote two digits there, leave a little gap between them.';

  // "12.50" is read out "1 2 point 5 0", "1,000" "1 comma 0 0 0", "14:07" "1 4 colon 0 7", "14-07"
  // "1 4 dash 0 7", "-14" "minus 1 4".
  const WORDS = { '.': 'point', ',': 'comma', ':': 'colon', '-': 'dash' };
  const spoken = (text) => text.split('').map((c, i) => (i === 0 && c === '-' ? 'minus' : WORDS[c] || c)).join(' ');

  // "100 %" would overstate it: a calibrated 0.9998 shows as ">99.9 %".
  const pct = (p) => p >= 0.9995 ? '>99.9 %' : (100 * p).toFixed(p < 0.0005 ? 0 : 1) + ' %';

  // r: a DigitsModel answer, or null for "nothing drawn".
  function show(r) {
    shown = true;
    result.classList.remove('idle', 'empty', 'uncertain');
    if (!r || r.empty) {
      result.dataset.digit = '';
      result.dataset.number = '';
      delete result.dataset.confidence;
      result.classList.add('empty');
      digitView.textContent = '?';
      message.textContent = !r ? 'Draw a digit first.'
        : r.dot ? 'That is only a dot — draw a digit or a number.' : 'No digit found — draw a digit first.';
      confidenceView.textContent = '';
      announce.textContent = message.textContent;
      rows.forEach((row) => { row.fill.style.width = '0'; row.pct.textContent = '–'; row.li.classList.remove('top'); });
      drawSeen(r ? r.image : null);
      return;
    }
    result.dataset.digit = String(r.digit);
    result.dataset.confidence = r.confidence.toFixed(4);
    digitView.textContent = String(r.digit);
    confidenceView.textContent = 'confidence ' + pct(r.confidence);
    const advice = r.uncertain && mayBeTwo(r);
    if (r.uncertain) {
      const ranked = r.probabilities.map((p, d) => [p, d]).sort((a, b) => b[0] - a[0]);
      result.classList.add('uncertain');
      message.textContent = 'Not sure: maybe ' + ranked[0][1] + ' (' + pct(ranked[0][0]) + ') or ' +
        ranked[1][1] + ' (' + pct(ranked[1][0]) + '). ' + (advice ? TWO_TOUCHING : 'Try writing it larger and clearer.');
    } else {
      message.textContent = 'It is a ' + r.digit + '.';
    }
    announce.textContent = (r.uncertain ? 'Not sure. Best guess ' : 'Predicted ') + r.digit +
      ', confidence ' + pct(r.confidence) + '.' + (advice ? ' ' + TWO_TOUCHING : '');
    showBars(r);
  }

  // The ten bars and the 28x28 of one digit's answer.
  function showBars(r) {
    r.probabilities.forEach((p, d) => {
      rows[d].fill.style.width = (100 * p).toFixed(2) + '%';
      rows[d].pct.textContent = pct(p);
      rows[d].li.classList.toggle('top', d === r.digit);
    });
    drawSeen(r.image);
  }

  function drawSeen(image) {  // image: 784 values 0-255 (white ink on black), from wasm or the server
    const s = seen.getContext('2d');
    const data = s.createImageData(28, 28);
    for (let i = 0; i < 784; ++i) {
      const v = image ? image[i] : 0;
      data.data[4 * i] = data.data[4 * i + 1] = data.data[4 * i + 2] = v;
      data.data[4 * i + 3] = 255;
    }
    s.putImageData(data, 0, 0);
  }

  function resetResult() {
    shown = false;
    result.className = 'result idle';
    result.dataset.digit = '';
    result.dataset.number = '';
    numberList.textContent = '';
    numberList.hidden = true;
    boxes = [];
    marks = [];
    chosen = -1;
    delete result.dataset.confidence;
    digitView.textContent = '?';
    message.textContent = 'Write a digit or a number, then press Predict.';
    confidenceView.textContent = '';
    rows.forEach((row) => { row.fill.style.width = '0'; row.pct.textContent = '–'; row.li.classList.remove('top'); });
    drawSeen(null);
  }

  function clear() {
    strokes.length = 0;
    current = null;
    activePointer = null;
    redraw();
    resetResult();
    announce.textContent = 'Cleared.';
  }

  function undo() {
    if (strokes.length === 0 || activePointer !== null) return;
    strokes.pop();
    boxes = [];
    marks = [];
    redraw();
    if (strokes.length === 0) resetResult();
    else if (shown || live.checked) predict();
  }

  function fail(text) {
    status.className = 'status';
    status.textContent = text;
  }

  predictButton.addEventListener('click', predict);
  clearButton.addEventListener('click', clear);
  undoButton.addEventListener('click', undo);
  live.addEventListener('change', () => { if (live.checked && strokes.length) predict(); });

  document.addEventListener('keydown', (e) => {
    const typing = e.target instanceof HTMLInputElement && e.target.type !== 'checkbox';
    if (typing || e.altKey) return;
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') {
      e.preventDefault();
      undo();
    } else if (e.key === 'Escape') {
      clear();
    } else if (e.key === 'Enter' && (e.target === document.body || e.target === pad)) {
      e.preventDefault();
      predict();
    }
  });

  // An image file instead of drawing (also the keyboard-only way to use the app).
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files && fileInput.files[0];
    if (!file || !model) return;
    try {
      const bitmap = await createImageBitmap(file);
      // Large photos are scaled down first: 1024 px is plenty for a 28x28 result.
      const scale = Math.min(1, 1024 / Math.max(bitmap.width, bitmap.height));
      const w = Math.max(1, Math.round(bitmap.width * scale)), h = Math.max(1, Math.round(bitmap.height * scale));
      const c = document.createElement('canvas');
      c.width = w;
      c.height = h;
      const g = c.getContext('2d');
      g.drawImage(bitmap, 0, 0, w, h);
      strokes.length = 0;
      redraw();
      status.textContent = '';
      showReading(await model.readImage(g.getImageData(0, 0, w, h)), 0, 0);
    } catch (e) {
      fail('Could not read "' + file.name + '" as an image: ' + (e.message || e));
    } finally {
      fileInput.value = '';
    }
  });

  // ---- Start-up ------------------------------------------------------------------------------
  resetResult();
  const loadStart = performance.now();
  if (typeof DigitsModel === 'undefined') {
    fail('The recogniser (digits.js) did not load. Reload the page; if it persists, the download is blocked.');
    predictButton.textContent = 'Unavailable';
  } else {
    DigitsModel.load().then((m) => {
      model = m;
      predictButton.disabled = false;
      predictButton.textContent = 'Predict';
      const acc = m.info.metadata && parseFloat(m.info.metadata.test_accuracy);
      if (acc) $('model-info').textContent = 'A small convolutional network (' + (100 * acc).toFixed(2) + ' % on MNIST)';
      $('simd').textContent = m.info.simd === 'relaxed' ? ' (relaxed SIMD)' : ' (SIMD128)';
      registerOffline();
      document.documentElement.dataset.ready = 'wasm';
      document.documentElement.dataset.loadMs = (performance.now() - loadStart).toFixed(1);
      if (live.checked && strokes.length) predict();
    }, (e) => serverModel().then((m) => {
      // No WebAssembly here, but the page came from digits-server: its REST API does the work.
      model = m;
      predictButton.disabled = false;
      predictButton.textContent = 'Predict';
      status.className = 'status info';
      status.textContent = e.message + ' Predictions are computed by the server instead.';
      document.documentElement.dataset.ready = 'server';
    }, () => {
      fail(e.message);
      predictButton.textContent = 'Unavailable';
      document.documentElement.dataset.ready = 'error';
    }));
  }

  // The same interface as DigitsModel, answered by digits-server's POST api/v1/read (relative
  // URLs: the API sits next to the page). Rejects if the page was not served by digits-server.
  function serverModel() {
    if (!/^https?:$/.test(location.protocol) || !window.fetch) return Promise.reject(new Error('no server'));
    // include=image: the answer carries the 28x28 the model saw, for the page to show.
    const ask = (body, type) => fetch('api/v1/read?include=image', { method: 'POST', headers: { 'Content-Type': type }, body })
      .then((r) => r.json().then((j) => {
        if (!r.ok) throw new Error(j.error || 'the server answered HTTP ' + r.status);
        return j;
      }));
    return fetch('api/v1/model').then((r) => (r.ok ? r.json() : Promise.reject(new Error('no server'))))
      .then((info) => ({
        info,
        readStrokes: (s) => ask(JSON.stringify({ strokes: s }), 'application/json'),
        // The server takes PNG: re-encode whatever image the browser decoded.
        readImage: (data) => {
          const c = document.createElement('canvas');
          c.width = data.width;
          c.height = data.height;
          c.getContext('2d').putImageData(data, 0, 0);
          return new Promise((resolve) => c.toBlob(resolve, 'image/png')).then((png) => ask(png, 'image/png'));
        },
      }));
  }

  // Offline: the service worker caches the app shell (not from file://, where it cannot run).
  // Registered once the model runs, so its downloads do not compete with the first prediction.
  function registerOffline() {
    if ('serviceWorker' in navigator && /^https?:$/.test(location.protocol)) {
      navigator.serviceWorker.register('sw.js').catch((e) => console.warn('offline cache unavailable:', e.message));
    }
  }
})();
