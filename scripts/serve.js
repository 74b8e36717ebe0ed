#!/usr/bin/env node
// A small static file server for the browser tests and the browser benchmark (`make run` uses
// digits-server). Serves ROOT under PREFIX (e.g. /digits/ to mimic
// GitHub Pages' https://<user>.github.io/<repo>/), with the right MIME types (wasm included),
// no caching, and no path escapes.
//
//   node scripts/serve.js [--root build/site] [--host 127.0.0.1] [--port 8080] [--prefix /]
//   const { serve } = require('./serve'); const s = await serve({ root, prefix, port: 0 });
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.bin': 'application/octet-stream', '.onnx': 'application/octet-stream', '.map': 'application/json',
};

// options: {root, prefix = '/', host = '127.0.0.1', port = 0, headers = {}, mounts = {prefix: dir},
// log = false}. With log, the server keeps what it answered in `server.requests` ([{method, path,
// status, file, bytes}]), so a test can check, whatever the browser, that the page asked for
// nothing it lacks, and a benchmark can count what a page downloaded.
function serve(options) {
  const mounts = Object.assign({}, options.mounts || {});
  if (options.root) mounts[options.prefix || '/'] = options.root;
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const requests = [];
  const server = http.createServer((req, res) => {
    const send = (code, type, body, file) => {
      if (options.log) requests.push({ method: req.method, path: req.url, status: code, file, bytes: body ? body.length : 0 });
      res.writeHead(code, Object.assign({ 'Content-Type': type, 'Cache-Control': 'no-store' }, options.headers));
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch (e) {
      return send(400, 'text/plain', 'bad url\n');
    }
    const prefix = prefixes.find((p) => pathname.startsWith(p));
    if (prefix === undefined) return send(404, 'text/plain', 'not found\n');
    const root = fs.realpathSync(mounts[prefix]);
    let file = path.join(root, pathname.slice(prefix.length));
    if (pathname.endsWith('/')) file = path.join(file, 'index.html');
    fs.realpath(file, (err, real) => {
      if (err || (real !== root && !real.startsWith(root + path.sep))) return send(404, 'text/plain', 'not found\n');
      fs.readFile(real, (err2, body) => {
        if (err2) return send(404, 'text/plain', 'not found\n');
        send(200, MIME[path.extname(real)] || 'application/octet-stream', body, real);
      });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port || 0, options.host || '127.0.0.1', () => {
      const { port } = server.address();
      server.url = `http://${options.host || '127.0.0.1'}:${port}`;
      server.requests = requests;
      resolve(server);
    });
  });
}

module.exports = { serve };

if (require.main === module) {
  const args = { root: 'build/site', prefix: '/', host: '127.0.0.1', port: 8080 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in args) || argv[i + 1] === undefined) {
      console.error('usage: serve.js [--root DIR] [--prefix /path/] [--host H] [--port N]');
      process.exit(2);
    }
    args[key] = key === 'port' ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!fs.existsSync(args.root)) {
    console.error(`serve.js: ${args.root} does not exist (run make site)`);
    process.exit(1);
  }
  serve(args).then((s) => console.log(`Serving ${args.root} at ${s.url}${args.prefix}  (Ctrl+C to stop)`),
    (e) => { console.error(`serve.js: cannot listen on ${args.host}:${args.port}: ${e.message}`); process.exit(1); });
}
