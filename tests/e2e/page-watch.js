// Runs in the page before any of the site's scripts, in every engine: records Content-Security-
// Policy violations and, for engines whose automation protocol reports no console or network
// events (WebKitWebDriver), console errors, uncaught errors and failed loads. Kept in
// sessionStorage so a reload does not lose them; engines.js reads them back.
(() => {
  'use strict';
  const KEY = '__e2e_watch';
  const load = () => {
    try {
      return JSON.parse(sessionStorage.getItem(KEY)) || { problems: [], violations: [] };
    } catch (e) {
      return { problems: [], violations: [] };
    }
  };
  const record = (list, text) => {
    const state = load();
    state[list].push(String(text));
    try {
      sessionStorage.setItem(KEY, JSON.stringify(state));
    } catch (e) {
      // Storage refused (quota, a locked-down profile): keep the record on the window.
    }
    (window.__e2eWatch = window.__e2eWatch || state)[list] = state[list];
  };
  window.__e2eWatchRead = load;
  document.addEventListener('securitypolicyviolation', (e) =>
    record('violations', e.violatedDirective + ' ' + e.blockedURI));
  const error = console.error;
  console.error = function (...args) {
    record('problems', 'console: ' + args.map(String).join(' '));
    return error.apply(this, args);
  };
  // Capture phase: a failed <script>, <link> or <img> load fires 'error' on the element only.
  window.addEventListener('error', (e) => {
    const t = e.target;
    if (t && t !== window && (t.src || t.href)) record('problems', 'request failed: ' + (t.src || t.href));
    else record('problems', 'page error: ' + e.message);
  }, true);
  window.addEventListener('unhandledrejection', (e) =>
    record('problems', 'page error: ' + ((e.reason && e.reason.message) || e.reason)));
})();
