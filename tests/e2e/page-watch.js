// Runs in the page before any of the site's scripts, in every engine: records Content-Security-
// Policy violations and, for engines whose automation protocol reports no console or network
// events (WebKitWebDriver), console errors, uncaught errors and failed loads. Kept in
// sessionStorage so a reload does not lose them; engines.js reads them back.
(() => {
  'use strict';
  const KEY = '__e2e_watch';
  let memory = { problems: [], violations: [] };  // where storage is refused (a locked-down profile)
  const load = () => {
    try {
      const saved = sessionStorage.getItem(KEY);
      if (saved) return JSON.parse(saved);
    } catch (e) {
      // No storage: the in-memory record (lost on reload) is all there is.
    }
    return memory;
  };
  const record = (list, text) => {
    memory = load();
    memory[list].push(String(text));
    try {
      sessionStorage.setItem(KEY, JSON.stringify(memory));
    } catch (e) {
      // Kept in memory only.
    }
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
