// Inlines wasm/start.js where a page has its `<!-- digits:start ... -->` line, so the model's
// download starts while the page's scripts are still on their way. Used by make-site.js (the
// site's index.html, whose Content-Security-Policy then allows the script by its hash) and by the
// browser benchmark's page (bench/browser/run.js).
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const MARKER = /^[ \t]*<!-- digits:start [^>]*-->\n/m;

// Returns the page with the script inlined (attributes: e.g. 'data-base="/site/"') and the
// script's CSP source ('sha256-...'); throws if the page has no marker line.
function inlineStart(html, attributes = '') {
  if (!MARKER.test(html)) throw new Error('the page has no <!-- digits:start ... --> line');
  const script = fs.readFileSync(path.join(__dirname, '..', 'wasm', 'start.js'), 'utf8');
  const indent = /^[ \t]*/.exec(html.match(MARKER)[0])[0];
  const open = attributes ? `<script ${attributes}>` : '<script>';
  return {
    html: html.replace(MARKER, () => `${indent}${open}${script}</script>\n`),
    source: `'sha256-${crypto.createHash('sha256').update(script).digest('base64')}'`,
  };
}

module.exports = { inlineStart };
