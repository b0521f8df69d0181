// `overlap dedup --report` on Reuters-21578: the counts shown, search, sorting, clusters, and the
// side-by-side view of a near-duplicate pair.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');

test('dedup report of Reuters-21578', { timeout: 300000 }, async (t) => {
  const dir = h.freshDir('reuters');
  const out = path.join(dir, 'out');
  const corpus = path.join(h.DATA, 'reuters21578.jsonl.gz');
  h.overlap(['dedup', h.rel(corpus), '--out', h.rel(out), '--report', '--quiet']);
  const file = path.join(out, 'report.html');
  assert.ok(fs.existsSync(file), 'report.html written');
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  const pairs = h.readJsonl(path.join(out, 'pairs.jsonl'));
  const html = fs.readFileSync(file, 'utf8');
  assert.doesNotMatch(html, /(src|href)=["']?(https?:)?\/\//i, 'no external resources');

  const browser = await h.launch();
  t.after(() => browser.close());
  const { page, dialogs, errors } = await h.openReport(browser, file);

  await t.test('summary counts match summary.json and pairs.jsonl', async () => {
    const stat = (key) => page.getAttribute(`[data-stat="${key}"]`, 'data-value');
    assert.equal(Number(await stat('documents')), summary.documents.accepted);
    assert.equal(Number(await stat('kept')), summary.documents.kept);
    assert.equal(Number(await stat('removed')), summary.documents.removed_exact + summary.documents.removed_near);
    assert.equal(Number(await stat('clusters')), summary.clusters.with_duplicates);
    assert.equal(Number(await stat('pairs')), pairs.length);
    assert.equal(pairs.length, summary.pairs.near + summary.pairs.exact);
    assert.equal(Number(await stat('threshold')), summary.parameters.threshold);
    assert.equal(await stat('lsh'), `${summary.parameters.bands} × ${summary.parameters.rows}`);
    assert.equal(Number(await stat('texts')), new Set(pairs.flatMap((p) => [p.a, p.b])).size, 'every text found');
    assert.equal(await page.textContent('#tab-pairs'), `Pairs (${pairs.length.toLocaleString('en-US')})`);
    // Plots: inline SVG, with the threshold marked on the similarity histogram and the S-curve.
    for (const id of ['plot-scores', 'plot-sizes', 'plot-scurve', 'plot-timings']) {
      assert.ok(await page.$(`#${id} svg`), `${id} drawn`);
    }
    assert.ok(await page.$('#plot-scores line.threshold'));
    assert.ok(await page.$('#plot-scurve line.threshold'));
    assert.ok(await page.$('#plot-scurve polyline.curve'));
    assert.ok((await page.$$('#plot-scores rect[class^=bar]')).length >= 2);
    await h.screenshot(page, dir, '1-summary');
  });

  await t.test('pairs list: virtualized, searchable, sortable', async () => {
    await page.click('#tab-pairs');
    await page.waitForSelector('#view-pairs .vrow');
    assert.equal(await page.textContent('#pair-count'), `${pairs.length} of ${pairs.length} pairs`);
    const rendered = (await page.$$('#view-pairs .vrow')).length;
    assert.ok(rendered > 5 && rendered < 100, `${rendered} rows in the DOM`);

    // Sort by score: descending, then ascending.
    await page.click('#view-pairs .vhead button[data-key="score"]');
    let rows = await h.visibleRows(page, '#view-pairs');
    const scores = rows.map((r) => Number(r[3]));
    assert.deepEqual(scores, [...scores].sort((x, y) => y - x));
    assert.equal(scores[0], 1);
    await page.click('#view-pairs .vhead button[data-key="score"]');
    rows = await h.visibleRows(page, '#view-pairs');
    const up = rows.map((r) => Number(r[3]));
    assert.deepEqual(up, [...up].sort((x, y) => x - y));
    const lowest = Math.min(...pairs.map((p) => p.jaccard));
    assert.equal(up[0].toFixed(3), lowest.toFixed(3));
    // Sort by size (characters of both texts), largest first.
    await page.click('#view-pairs .vhead button[data-key="size"]');
    rows = await h.visibleRows(page, '#view-pairs');
    const sizes = rows.map((r) => Number(r[r.length - 1].replace(/,/g, '')));
    assert.deepEqual(sizes, [...sizes].sort((x, y) => y - x));

    // Search by id: only the pairs of that document remain.
    const id = pairs[0].b;
    await page.fill('#pair-search', id);
    await page.waitForFunction((n) => document.querySelector('#pair-count').textContent.startsWith(n + ' of'),
      pairs.filter((p) => p.a.includes(id) || p.b.includes(id)).length);
    rows = await h.visibleRows(page, '#view-pairs');
    assert.ok(rows.length >= 1);
    for (const r of rows) assert.ok(r[1].includes(id) || r[2].includes(id));
    await page.fill('#pair-search', 'no-such-document-id');
    await page.waitForFunction(() => document.querySelector('#pair-count').textContent.startsWith('0 of'));
    assert.equal((await page.$$('#view-pairs .vrow')).length, 0);
    await page.fill('#pair-search', '');
    await page.waitForFunction((n) => document.querySelector('#pair-count').textContent.startsWith(n + ' of'), pairs.length);
    // Kind filter.
    await page.selectOption('#pair-kind', { label: 'near' });
    await page.waitForFunction((n) => document.querySelector('#pair-count').textContent.startsWith(n + ' of'), summary.pairs.near);
    await page.selectOption('#pair-kind', { label: 'all kinds' });
    await h.screenshot(page, dir, '2-pairs');
  });

  await t.test('clusters list and one cluster', async () => {
    await page.click('#tab-groups');
    await page.waitForSelector('#view-groups .vrow');
    const n = summary.clusters.with_duplicates;
    assert.match(await page.textContent('#group-count'), new RegExp(`^${n} of ${n} clusters`));
    const rows = await h.visibleRows(page, '#view-groups');
    assert.equal(Number(rows[0][2]), summary.clusters.largest, 'sorted by size, largest first');
    await page.click('#view-groups .vtable .vrow >> nth=0');
    await page.waitForSelector('#group-detail h2');
    assert.match(await page.textContent('#group-detail h2'), new RegExp(`: ${summary.clusters.largest} documents$`));
    await h.screenshot(page, dir, '3-cluster');
  });

  await t.test('side-by-side view of a near-duplicate pair', async () => {
    // The near pair with the lowest similarity among the longer ones has the most to show.
    const near = pairs.filter((p) => p.kind === 'near' && p.jaccard < 0.95);
    const texts = new Map(h.readJsonl(path.join(h.DATA, 'reuters21578.jsonl.gz')).map((r) => [r.id, r.text]));
    near.sort((x, y) => texts.get(y.a).length - texts.get(x.a).length);
    const pair = near[0];
    const index = pairs.indexOf(pair);
    await page.click('#tab-pairs');
    await page.fill('#pair-search', pair.b);
    await page.waitForFunction(() => document.querySelector('#pair-count').textContent.startsWith('1 of'));
    await page.click('#view-pairs .vrow >> nth=0');
    await page.waitForSelector('#view-pair #doc-a');
    assert.equal(await page.evaluate(() => location.hash), '#pair=' + index);
    assert.equal(await page.textContent('#doc-a'), texts.get(pair.a), 'A shown whole and as text');
    assert.equal(await page.textContent('#doc-b'), texts.get(pair.b));
    const passA = await page.$$eval('#doc-a .pass', (s) => s.map((x) => [x.dataset.p, x.className, x.textContent]));
    const passB = await page.$$eval('#doc-b .pass', (s) => s.map((x) => [x.dataset.p, x.className, x.textContent]));
    assert.ok(passA.length > 0 && passB.length > 0, 'verbatim passages highlighted');
    // The same passage has the same colour and the same words on both sides.
    for (const [p, cls, text] of passA) {
      const other = passB.find((x) => x[0] === p);
      assert.ok(other, `passage ${p} on both sides`);
      assert.equal(other[1], cls);
      assert.deepEqual(h.words(other[2]), h.words(text));
      assert.ok(!cls.includes('rew'), 'dedup passages are verbatim');
    }
    const adds = (await page.$$('#doc-a .add')).length + (await page.$$('#doc-b .add')).length;
    assert.ok(adds > 0, 'additions of each side marked');
    assert.match(await page.textContent('#pair-stats'), /verbatim runs/);
    await h.screenshot(page, dir, '4-pair');

    // Clicking a passage on one side scrolls the other side to its match.
    const last = passA[passA.length - 1][0];
    await page.$eval('#doc-b', (b) => { b.scrollTop = 0; });
    await page.click(`#doc-a [data-p="${last}"] >> nth=0`);
    const visible = await page.$eval('#doc-b', (b, p) => {
      const t = b.querySelector(`[data-p="${p}"]`).getBoundingClientRect();
      const r = b.getBoundingClientRect();
      return t.top >= r.top - 1 && t.top <= r.bottom;
    }, last);
    assert.ok(visible, 'match scrolled into view');
    const scrollable = await page.$eval('#doc-b', (b) => b.scrollHeight > b.clientHeight);
    if (scrollable) assert.ok(await page.$eval('#doc-b', (b) => b.scrollTop > 0), 'B scrolled');
    // Previous and next walk the list as it is sorted and filtered.
    await page.click('text=← all pairs');
    await page.waitForSelector('#view-pairs:not([hidden])');
    await page.fill('#pair-search', '');
    await page.waitForFunction((n) => document.querySelector('#pair-count').textContent.startsWith(n + ' of'), pairs.length);
    const order = (await h.visibleRows(page, '#view-pairs')).map((r) => Number(r[0]) - 1);
    await page.click('#view-pairs .vrow >> nth=0');
    await page.waitForSelector('#pair-next');
    assert.equal(await page.evaluate(() => location.hash), '#pair=' + order[0]);
    assert.ok(await page.isDisabled('#pair-prev'));
    await page.click('#pair-next');
    await page.waitForFunction((h2) => location.hash === h2, '#pair=' + order[1]);
    await page.click('#pair-prev');
    await page.waitForFunction((h2) => location.hash === h2, '#pair=' + order[0]);
  });

  await t.test('no dialogs, script errors or network requests', () => {
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
    assert.deepEqual(browser.network, []);
  });
});
