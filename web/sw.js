// Service worker: the app shell is cached on install and served cache-first, so the page works
// offline after one visit. scripts/make-site.js fills in VERSION (a hash of the site's files) and
// FILES; a new deploy means a new cache, and the old one is deleted on activation.
'use strict';
const VERSION = '__VERSION__';
const FILES = __FILES__;
const CACHE = 'digits-' + VERSION;

// Cache only the WebAssembly build this browser will run (digits.js decides the same way), not
// both: each is ~1.3 MB. digits-wasm*.js are for file:// pages, which have no service worker.
importScripts('digits.js');
const RELAXED = DigitsModel.hasRelaxedSimd();
const SHELL = FILES.filter((f) => (RELAXED ? f !== 'digits.wasm' : !f.startsWith('digits-relaxed')));

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('digits-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  // ignoreSearch: "index.html?x" and "./" are the same shell.
  event.respondWith(
    caches.open(CACHE).then((cache) => cache.match(request, { ignoreSearch: true }).then((hit) => hit || fetch(request))));
});
