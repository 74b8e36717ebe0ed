// bench/server's second anchor: what a pragmatic team would build instead of digits-server — a
// Node.js server on fastify, preprocessing with sharp (libvips) and the same network on
// onnxruntime-node, one worker process per core (node:cluster shares the listening socket).
//
//   node server.js PORT MODEL.onnx        (env WORKERS, default: one per CPU)
//
// POST /predict with an image/png body answers {digit, confidence, probabilities} like
// digits-server's /api/v1/predict. Preprocessing does what core does in spirit: decode once to
// grey with libvips (flattened onto white), find the ink's box in JS, crop it and fit it into
// 20x20 padded to 28x28 with libvips, invert to white-on-black in [0, 1]. (sharp's trim() would
// find the box in one pipeline but costs 3x as much: 18 ms against 5.5 ms per request here.) The
// model is bench/browser's ONNX export of the product's network (make-models.js), run on one
// intra-op thread per worker.
'use strict';
const cluster = require('node:cluster');
const os = require('node:os');

const [port, modelPath] = process.argv.slice(2);
if (!port || !modelPath) {
  console.error('usage: node server.js PORT MODEL.onnx');
  process.exit(2);
}

if (cluster.isPrimary) {
  const workers = Number(process.env.WORKERS) || os.availableParallelism();
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (w, code, signal) => {
    console.error(`node-peer: worker ${w.process.pid} exited (${signal || code})`);
    process.exit(1);  // a benchmark with a dead worker measures nothing useful
  });
  // Forward SIGTERM so run.sh's kill stops the workers too.
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers)) w.kill('SIGTERM');
    process.exit(0);
  });
} else {
  worker().catch((e) => {
    console.error(`node-peer: ${e.stack || e}`);
    process.exit(1);
  });
}

async function worker() {
  const fastify = require('fastify');
  const sharp = require('sharp');
  const ort = require('onnxruntime-node');

  sharp.concurrency(1);  // one libvips thread per worker: the workers are the parallelism
  sharp.cache(false);    // each request is a new image; libvips' operation cache only costs memory
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });

  const app = fastify({ logger: false, bodyLimit: 1 << 20 });
  app.addContentTypeParser('image/png', { parseAs: 'buffer' }, (req, body, done) => done(null, body));

  app.post('/predict', async (req, reply) => {
    if (!Buffer.isBuffer(req.body)) return reply.code(415).send({ error: 'send an image/png body' });
    let x;
    try {
      x = await preprocess(sharp, req.body);
    } catch (e) {
      return reply.code(400).send({ error: `not a readable image: ${e.message}` });
    }
    if (!x) return { empty: true };
    const out = await session.run({ input: new ort.Tensor('float32', x, [1, 1, 28, 28]) });
    const probabilities = Array.from(out.probabilities.data);
    let digit = 0;
    for (let d = 1; d < 10; d++) if (probabilities[d] > probabilities[digit]) digit = d;
    return { digit, confidence: probabilities[digit], probabilities };
  });

  await app.listen({ port: Number(port), host: '127.0.0.1' });
}

const WHITE = { r: 255, g: 255, b: 255 };

// PNG bytes -> 28x28 floats (ink 1, paper 0), or null when there is no ink.
async function preprocess(sharp, png) {
  const { data, info } = await sharp(png, { limitInputPixels: 4096 * 4096 })
    .flatten({ background: WHITE })
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width: w, height: h } = info;
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0, row = y * w; x < w; x++) {
      if (data[row + x] >= 200) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return null;
  const fitted = await sharp(data, { raw: { width: w, height: h, channels: 1 } })
    .extract({ left: x0, top: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 })
    .resize(20, 20, { fit: 'contain', background: WHITE })
    .extend({ top: 4, bottom: 4, left: 4, right: 4, background: WHITE })
    .extractChannel(0)
    .raw()
    .toBuffer();
  const x = new Float32Array(28 * 28);
  for (let i = 0; i < x.length; i++) x[i] = (255 - fitted[i]) / 255;
  return x;
}
