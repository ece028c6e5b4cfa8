import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium, or CHROMIUM_PATH. Never a downloaded browser. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Starts headless chromium; fails with one line saying what to install when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'], headless: true });
}

/**
 * Page script (added before the console loads) that records every status each task node of the graph
 * shows, in order, in `window.__statuses`: proof of what the page showed over time, not only at the end.
 */
export const RECORD_NODE_STATUSES = `(() => {
  const seen = {};
  window.__statuses = seen;
  const note = (el) => {
    const id = el.getAttribute('data-task-id');
    const status = el.getAttribute('data-status');
    if (!id || !status || !el.classList.contains('node')) return;
    const list = seen[id] || (seen[id] = []);
    if (list[list.length - 1] !== status) list.push(status);
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') note(r.target);
      for (const n of r.addedNodes || []) {
        if (n.nodeType !== 1) continue;
        note(n);
        n.querySelectorAll('[data-task-id]').forEach(note);
      }
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
})();`;
