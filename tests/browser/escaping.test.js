// Documents (texts and ids) full of markup render as text: no dialog, no injected element, no script.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');

const ATTACKS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(2)>',
  '<img src=x onerror="window.__pwned=1">',
  '</script><script>window.__pwned=2</script>',
  '<svg onload=alert(3)><script>alert(4)</script></svg>',
  '<iframe src="javascript:alert(5)"></iframe>',
  '<style>body{display:none}</style>',
  '<!-- <script> --> ]]> &lt;b&gt; &amp; \u2028 \u2029 @@DATA@@',
];
const BASE = 'the committee met on tuesday to review the quarterly figures and agreed that the new ' +
  'warehouse in the northern district would open in spring after the final inspection of its roof';

/** Assertions that hold on every view of a page that was attacked. */
async function assertClean(page, where) {
  const found = await page.evaluate(() => ({
    pwned: window.__pwned,
    scripts: document.querySelectorAll('script').length,
    styles: document.querySelectorAll('style').length,
    injected: document.querySelectorAll('img, iframe, svg script, object, embed, main style, main script').length,
    handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
    visible: getComputedStyle(document.body).display,
  }));
  assert.deepEqual(found, { pwned: undefined, scripts: 4, styles: 1, injected: 0, handlers: 0, visible: 'block' }, where);
}

test('markup in documents is shown as text and never runs', { timeout: 300000 }, async (t) => {
  const dir = h.freshDir('escaping');
  const corpus = path.join(dir, 'corpus.jsonl');
  const hostile = ATTACKS.join(' ');
  const records = [
    { id: ATTACKS[1], text: `${hostile} ${BASE}` },
    { id: ATTACKS[3], text: `${hostile} ${BASE}` },
    { id: ATTACKS[4], text: `${hostile} ${BASE} today` },
    { id: 'plain', text: 'nothing to see here at all, a different text' },
  ];
  h.writeJsonl(corpus, records);
  const out = path.join(dir, 'dedup');
  h.overlap(['dedup', h.rel(corpus), '--out', h.rel(out), '--report', '--quiet', '--threshold', '0.5']);
  const pairs = h.readJsonl(path.join(out, 'pairs.jsonl'));
  assert.equal(pairs.length, 2, 'one exact and one near pair');

  // A reuse-shaped folder over the same corpus: hostile passages' texts and boilerplate.
  const reuse = path.join(dir, 'reuse');
  fs.mkdirSync(reuse);
  fs.writeFileSync(path.join(reuse, 'summary.json'), JSON.stringify({
    command: 'reuse', documents: { accepted: 4 }, inputs: [{ path: h.rel(corpus), format: 'jsonl' }],
    parameters: { id_field: 'id', text_field: 'text' },
  }));
  const cp = (s) => [...s].length;
  h.writeJsonl(path.join(reuse, 'pairs.jsonl'), [{
    a: ATTACKS[1], b: ATTACKS[4], score: 0.9, coverage_a: 1, coverage_b: 0.95,
    passages: [{ a: [0, cp(hostile)], b: [0, cp(hostile)], score: 1, kind: 'verbatim' },
      { a: [cp(hostile) + 1, cp(records[0].text)], b: [cp(hostile) + 1, cp(records[0].text)], score: 0.8, kind: 'reworded' }],
  }]);
  h.writeJsonl(path.join(reuse, 'stories.jsonl'), [{ id: ATTACKS[1], story: ATTACKS[0] }, { id: ATTACKS[4], story: ATTACKS[0] }]);
  h.writeJsonl(path.join(reuse, 'boilerplate.jsonl'), [{ source: ATTACKS[2], text: hostile, documents: [ATTACKS[1]], spans: { [ATTACKS[1]]: [[0, 30]] } }]);
  h.overlap(['report', h.rel(reuse), '--quiet']);

  const browser = await h.launch();
  t.after(() => browser.close());

  await t.test('dedup report', async () => {
    const { page, dialogs, errors } = await h.openReport(browser, path.join(out, 'report.html'));
    await assertClean(page, 'summary');
    for (const view of ['pairs', 'groups']) {
      await page.click('#tab-' + view);
      await page.waitForSelector(`#view-${view} .vrow`);
      await assertClean(page, view);
    }
    const ids = await page.$$eval('#view-groups .vrow span', (s) => s.map((x) => x.textContent).join(' '));
    assert.ok(ids.includes(ATTACKS[1]), 'ids shown as text');
    await page.click('#tab-pairs');
    await page.fill('#pair-search', ATTACKS[4]);
    await page.waitForFunction(() => document.querySelector('#pair-count').textContent.startsWith('1 of'));
    await page.click('#pair-search-texts');
    await page.fill('#pair-search', '</script><script>window.__pwned=2');
    await page.waitForFunction(() => document.querySelector('#pair-count').textContent.startsWith('2 of'));
    for (let i = 0; i < pairs.length; i++) {
      await page.evaluate((n) => { location.hash = 'pair=' + n; }, i);
      await page.waitForSelector(`#view-pair #pair-title:has-text("Pair ${i + 1}:")`);
      await assertClean(page, 'pair ' + i);
      const texts = new Map(records.map((r) => [r.id, r.text]));
      assert.equal(await page.textContent('#doc-a'), texts.get(pairs[i].a));
      assert.equal(await page.textContent('#doc-b'), texts.get(pairs[i].b));
      assert.ok((await page.$$('#doc-a .pass')).length > 0);
    }
    await h.screenshot(page, dir, 'dedup-pair');
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
  });

  await t.test('reuse-shaped report', async () => {
    const { page, dialogs, errors } = await h.openReport(browser, path.join(reuse, 'report.html'));
    await assertClean(page, 'summary');
    for (const hash of ['boilerplate', 'groups', 'group=0', 'pairs', 'pair=0']) {
      await page.evaluate((x) => { location.hash = x; }, hash);
      await page.waitForTimeout(50);
      await assertClean(page, hash);
    }
    await page.waitForSelector('#doc-a .pass');
    assert.equal(await page.textContent('#doc-a'), records[0].text);
    assert.equal(await page.textContent('#doc-a [data-p="0"]:not(.bp)'), hostile.slice(30));
    assert.equal(await page.textContent('#doc-a .bp'), hostile.slice(0, 30));
    await h.screenshot(page, dir, 'reuse-pair');
    await page.evaluate(() => { location.hash = 'boilerplate'; });
    assert.ok((await page.textContent('#boilerplate-list')).includes(ATTACKS[2]));
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
  });

  await t.test('control: these checks catch markup that was injected', async () => {
    const { page, dialogs, errors } = await h.openReport(browser, path.join(out, 'report.html'));
    await page.evaluate((html) => { document.querySelector('main').insertAdjacentHTML('beforeend', html); }, ATTACKS[1]);
    await page.waitForTimeout(100);
    await assert.rejects(assertClean(page, 'injected'), /injected/);
    // The page's Content-Security-Policy stops the inline handler even then.
    assert.deepEqual(dialogs, []);
    assert.ok(errors.some((e) => /Content Security Policy/i.test(e)), errors.join('\n'));
  });

  assert.deepEqual(browser.network, []);
});
