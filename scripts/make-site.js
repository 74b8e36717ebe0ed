#!/usr/bin/env node
// Writes the static site: web/ plus the WebAssembly builds (digits.js, digits.wasm and, when built,
// digits-relaxed.wasm), plus digits-wasm.js (the wasm as base64, for pages opened from file://,
// which cannot fetch it), and the service worker with its cache version (a hash of every file) and
// file list filled in.
//
//   node scripts/make-site.js WASM_DIR OUT_DIR [--relaxed RELAXED_WASM_DIR]
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { inlineStart } = require('./start-script.js');

const args = process.argv.slice(2);
let relaxedDir = null;
const at = args.indexOf('--relaxed');
if (at >= 0) relaxedDir = args.splice(at, 2)[1];
const [wasmDir, outDir] = args;
if (!wasmDir || !outDir) {
  console.error('usage: make-site.js WASM_DIR OUT_DIR [--relaxed RELAXED_WASM_DIR]');
  process.exit(2);
}
const webDir = path.join(__dirname, '..', 'web');

fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });

const copied = [];
for (const name of fs.readdirSync(webDir).sort()) {
  if (name === 'sw.js') continue;  // templated below
  if (name === 'index.html') {
    fs.writeFileSync(path.join(outDir, name), withStartScript(fs.readFileSync(path.join(webDir, name), 'utf8')));
  } else {
    fs.copyFileSync(path.join(webDir, name), path.join(outDir, name));
  }
  copied.push(name);
}

// wasm/start.js, inlined where the page says (so the model's download starts while the page's
// scripts are still on their way), and allowed by its hash in the page's Content-Security-Policy.
// digits-server sends the page's policy as its own (server/static_files.cpp).
function withStartScript(html) {
  const policy = /(<meta http-equiv="Content-Security-Policy"[^>]*script-src 'self' 'wasm-unsafe-eval')/;
  if (!policy.test(html)) {
    console.error("make-site: web/index.html needs a Content-Security-Policy with script-src 'self' 'wasm-unsafe-eval'");
    process.exit(1);
  }
  try {
    const start = inlineStart(html);
    return start.html.replace(policy, `$1 ${start.source}`);
  } catch (e) {
    console.error(`make-site: web/index.html: ${e.message}`);
    process.exit(1);
  }
}

for (const name of ['digits.js', 'digits.wasm']) {
  const from = path.join(wasmDir, name);
  if (!fs.existsSync(from)) {
    console.error(`make-site: ${from} is missing (build the wasm preset first)`);
    process.exit(1);
  }
  fs.copyFileSync(from, path.join(outDir, name));
  copied.push(name);
}

// The relaxed-SIMD build (wasm-relaxed preset), when it was built: digits.js prefers it where the
// browser supports relaxed SIMD, and runs it under its own glue, so the two modules must import and
// export the same names (checked here, names and kinds, not signatures: a mismatch would otherwise
// only show as a failed load in a browser).
const relaxedWasm = relaxedDir && path.join(relaxedDir, 'digits-relaxed.wasm');
if (relaxedWasm && fs.existsSync(relaxedWasm)) {
  const glue = interfaceOf(path.join(outDir, 'digits.wasm'));
  const mod = interfaceOf(relaxedWasm);
  const missing = mod.imports.filter((i) => !glue.imports.includes(i))
    .concat(glue.exports.filter((e) => !mod.exports.includes(e)).map((e) => 'export ' + e));
  if (missing.length) {
    console.error(`make-site: digits-relaxed.wasm does not fit digits.js's glue (${missing.join(', ')}): ` +
      'link both builds with the same Emscripten settings (wasm/CMakeLists.txt)');
    process.exit(1);
  }
  fs.copyFileSync(relaxedWasm, path.join(outDir, 'digits-relaxed.wasm'));
  copied.push('digits-relaxed.wasm');
} else if (relaxedDir) {
  console.warn(`make-site: no relaxed-SIMD build in ${relaxedDir}; the site has the SIMD128 build only`);
}

// A module's imports ("module.name kind") and exports ("name kind"), read from its import and
// export sections (node cannot compile the relaxed module without a flag, so not through
// WebAssembly.Module.imports).
function interfaceOf(file) {
  const b = fs.readFileSync(file);
  let at = 8;
  const u32 = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = b[at++];
      v += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return v;
    }
  };
  const name = () => {
    const n = u32();
    at += n;
    return b.toString('utf8', at - n, at);
  };
  const limits = () => { if (u32() & 1) u32(); u32(); };
  const out = { imports: [], exports: [] };
  while (at < b.length) {
    const id = b[at++];
    const size = u32();
    const end = at + size;
    if (id === 2) {
      for (let i = u32(); i > 0; --i) {
        const what = name() + '.' + name();
        const kind = b[at++];
        if (kind === 0) u32();                   // function: type index
        else if (kind === 1) { at++; limits(); } // table: reference type, limits
        else if (kind === 2) limits();           // memory
        else at += 2;                            // global: value type, mutability
        out.imports.push(what + ' ' + kind);
      }
    } else if (id === 7) {
      for (let i = u32(); i > 0; --i) {
        const what = name();
        out.exports.push(what + ' ' + b[at++]);
        u32();
      }
    }
    at = end;
  }
  return out;
}

// file:// pages cannot fetch .wasm files: each build also comes as a classic script holding it.
function inlineWasm(wasmName, scriptName, globalName) {
  const wasm = fs.readFileSync(path.join(outDir, wasmName));
  fs.writeFileSync(path.join(outDir, scriptName),
    `// ${wasmName} as base64, loaded only by pages opened from file:// (generated by make-site.js).\n` +
    `(typeof self !== "undefined" ? self : globalThis).${globalName} = "${wasm.toString('base64')}";\n`);
}
inlineWasm('digits.wasm', 'digits-wasm.js', 'DIGITS_WASM_BASE64');
if (copied.includes('digits-relaxed.wasm')) {
  inlineWasm('digits-relaxed.wasm', 'digits-relaxed-wasm.js', 'DIGITS_RELAXED_WASM_BASE64');
}

// The app shell the service worker caches: everything except the file:// fallback.
const shell = ['./', ...copied.sort()];
const hash = crypto.createHash('sha256');
for (const name of copied.sort()) hash.update(name).update(fs.readFileSync(path.join(outDir, name)));
const version = hash.digest('hex').slice(0, 12);
const sw = fs.readFileSync(path.join(webDir, 'sw.js'), 'utf8')
  .replace("'__VERSION__'", JSON.stringify(version))
  .replace('__FILES__', JSON.stringify(shell));
fs.writeFileSync(path.join(outDir, 'sw.js'), sw);
fs.writeFileSync(path.join(outDir, '.nojekyll'), '');

let total = 0;
for (const name of fs.readdirSync(outDir)) total += fs.statSync(path.join(outDir, name)).size;
console.log(`make-site: ${outDir} (version ${version}, ${fs.readdirSync(outDir).length} files, ${total} bytes)`);
