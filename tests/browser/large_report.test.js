// A report with 100,000 pairs: the page load time is measured and printed (not asserted: machines
// are noisy), and the lists must stay virtualized.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');

const GROUPS = 50000; // each: an original, an exact copy and a near copy -> 2 pairs
const WORDS = 30;

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function writeCorpus(file) {
  const random = rng(42);
  const vocab = Array.from({ length: 20000 }, (_, i) => 'w' + i.toString(36) + String.fromCharCode(97 + (i % 26)));
  const out = fs.openSync(file, 'w');
  let chunk = [];
  for (let g = 0; g < GROUPS; g++) {
    const words = Array.from({ length: WORDS }, () => vocab[Math.floor(random() * vocab.length)]);
    const text = words.join(' ') + '.';
    const near = words.slice(0, -1).concat(['changed']).join(' ') + '.';
    chunk.push(JSON.stringify({ id: `g${g}-0`, text }), JSON.stringify({ id: `g${g}-1`, text }),
      JSON.stringify({ id: `g${g}-2`, text: near }));
    if (chunk.length > 3000) { fs.writeSync(out, chunk.join('\n') + '\n'); chunk = []; }
  }
  fs.writeSync(out, chunk.join('\n') + '\n');
  fs.closeSync(out);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('a report of 100,000 pairs loads with a virtualized list', { timeout: 600000 }, async (t) => {
  const dir = h.freshDir('large');
  const corpus = path.join(dir, 'corpus.jsonl');
  writeCorpus(corpus);
  const out = path.join(dir, 'out');
  let t0 = Date.now();
  h.overlap(['dedup', h.rel(corpus), '--out', h.rel(out), '--no-deduped', '--quiet']);
  const dedupMs = Date.now() - t0;
  t0 = Date.now();
  h.overlap(['report', h.rel(out), '--quiet']);
  const reportMs = Date.now() - t0;
  const file = path.join(out, 'report.html');
  const lines = fs.readFileSync(path.join(out, 'pairs.jsonl'), 'utf8').split('\n').filter(Boolean).length;
  assert.equal(lines, 2 * GROUPS, 'the corpus gives 100,000 pairs');
  const mb = fs.statSync(file).size / 1e6;

  const browser = await h.launch();
  t.after(() => browser.close());
  const loads = [];
  let page;
  for (let run = 0; run < 3; run++) {
    if (page) await page.close();
    const opened = await h.openReport(browser, file, 'pairs');
    page = opened.page;
    loads.push(await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      return { rendered: window.__overlap.readyAt, script: window.__overlap.initMs, load: nav.loadEventEnd };
    }));
    assert.deepEqual(opened.errors, []);
  }

  // Virtualized: the list knows 100,000 rows and holds a few dozen in the DOM.
  assert.equal(await page.getAttribute('#view-pairs .vtable', 'aria-rowcount'), String(lines));
  assert.equal(await page.textContent('#pair-count'), `${lines.toLocaleString('en-US')} of ${lines.toLocaleString('en-US')} pairs`);
  const domRows = (await page.$$('.vrow')).length;
  assert.ok(domRows > 5 && domRows < 200, `${domRows} rows in the DOM`);
  await h.screenshot(page, dir, 'pairs');

  // Scroll to the end: the last pair is shown, still with few rows.
  await page.$eval('#view-pairs .vbody', (b) => { b.scrollTop = b.scrollHeight; });
  await page.waitForFunction((n) => [...document.querySelectorAll('#view-pairs .vrow')].some((r) => r.firstChild.textContent === String(n)), lines);
  assert.ok((await page.$$('.vrow')).length < 200);

  // Sorting and searching 100,000 pairs, and the first pair view (which parses the embedded texts):
  // each timed from the action to the next frame after the page has updated.
  const sortMs = await page.evaluate(() => new Promise((resolve) => {
    const t = performance.now();
    document.querySelector('#view-pairs .vhead button[data-key="score"]').click();
    requestAnimationFrame(() => resolve(performance.now() - t));
  }));
  const rows = await h.visibleRows(page, '#view-pairs');
  assert.equal(Number(rows[0][3]), 1);
  const searchMs = await page.evaluate(() => new Promise((resolve) => {
    const count = document.querySelector('#pair-count');
    const search = document.querySelector('#pair-search');
    let t;
    new MutationObserver((_, observer) => {
      observer.disconnect();
      requestAnimationFrame(() => resolve(performance.now() - t));
    }).observe(count, { childList: true, characterData: true, subtree: true });
    t = performance.now();
    search.value = 'g4999';
    search.dispatchEvent(new Event('input'));
  }));
  // g4999, g49990 ... g49999: 11 groups of 2 pairs.
  assert.equal(await page.textContent('#pair-count'), '22 of 100,000 pairs');
  const pairMs = await page.evaluate(() => new Promise((resolve) => {
    const t = performance.now();
    location.hash = 'pair=1';
    const wait = () => (document.querySelector('#doc-a .pass') ? requestAnimationFrame(() => resolve(performance.now() - t)) : setTimeout(wait, 5));
    wait();
  }));
  assert.equal((await page.$$('#doc-b .add')).length, 1, 'the changed word is an addition');

  const rendered = loads.map((l) => l.rendered);
  const report = [
    `100,000-pair report (${GROUPS * 3} documents, ${mb.toFixed(1)} MB): dedup ${dedupMs} ms, overlap report ${reportMs} ms`,
    `page load, navigation start to list rendered: ${rendered.map((x) => x.toFixed(0)).join(', ')} ms (median ${median(rendered).toFixed(0)} ms); ` +
      `script ${loads.map((l) => l.script.toFixed(0)).join(', ')} ms; load event ${loads.map((l) => l.load.toFixed(0)).join(', ')} ms`,
    `sort by score ${sortMs.toFixed(0)} ms; search ${searchMs.toFixed(0)} ms (incl. the 120 ms pause the list waits for after typing); first pair view ${pairMs.toFixed(0)} ms; ${domRows} rows in the DOM`,
  ];
  for (const line of report) t.diagnostic(line);
  fs.writeFileSync(path.join(dir, 'timings.txt'), report.join('\n') + '\n');
  assert.deepEqual(browser.network, []);
});
