// Long ids that differ only at their end stay readable in every list (cut in the middle, the whole id
// in the tooltip and in the side-by-side view), and no column header is ever cut.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const h = require('./harness');

test('whole ids and uncut headers', { timeout: 300000 }, async (t) => {
  const dir = h.freshDir('ids-headers');
  const prefix = '20news:20news-bydate-test/comp.os.ms-windows.misc/';
  const story = 'The committee met on Tuesday to discuss the new budget for the regional transport ' +
    'network, and agreed after a long debate that the northern line would be extended by two stations ' +
    'before the end of next year, with the work paid for by the national infrastructure fund. ';
  const records = [];
  for (let i = 0; i < 6; i++) {
    records.push({ id: prefix + (53120 + i), text: story.repeat(3) + ' Item ' + i + '.' });
  }
  const corpus = path.join(dir, 'long-ids.jsonl');
  h.writeJsonl(corpus, records);
  const out = path.join(dir, 'out');
  h.overlap(['dedup', h.rel(corpus), '--out', h.rel(out), '--report', '--quiet']);

  const browser = await h.launch();
  t.after(() => browser.close());
  const { page, errors } = await h.openReport(browser, path.join(out, 'report.html'));
  // A narrow window: the id columns are far narrower than the ids.
  await page.setViewportSize({ width: 760, height: 800 });

  const checkList = async (scope, minIds) => {
    await page.waitForSelector(scope + ' .vrow');
    const heads = await page.$$eval(scope + ' .vhead button', (bs) => bs.map((b) => ({
      text: b.textContent, cut: b.scrollWidth > b.clientWidth + 1 || b.scrollHeight > b.clientHeight + 1,
    })));
    assert.ok(heads.length >= 3);
    for (const head of heads) assert.ok(!head.cut, `header "${head.text}" is cut`);
    const cells = await page.$$eval(scope + ' .vrow .idc', (cs) => cs.map((c) => {
      const cell = c.parentElement.getBoundingClientRect();
      const tail = c.querySelector('.idt');
      const r = tail ? tail.getBoundingClientRect() : null;
      return { title: c.title, text: c.textContent, tail: tail && tail.textContent,
        tailShown: !!r && r.left >= cell.left - 1 && r.right <= cell.right + 1 };
    }));
    assert.ok(cells.length >= minIds, `${cells.length} id cells rendered`);
    for (const c of cells) {
      assert.ok(c.title.startsWith(prefix), c.title);
      assert.equal(c.text, c.title, 'the cell holds the whole id');
      assert.match(c.tail, /^\/531\d\d$/, 'the end of the id is its own part');
      assert.ok(c.tailShown, `the end of ${c.title} is visible`);
    }
  };

  await t.test('pairs list', async () => {
    await page.click('#tab-pairs');
    await checkList('#view-pairs', 10);
    await h.screenshot(page, dir, 'pairs');
  });

  await t.test('clusters list', async () => {
    await page.click('#tab-groups');
    await checkList('#view-groups', 1);
    // The cluster's own list of documents.
    await page.click('#view-groups .vtable .vrow >> nth=0');
    await page.waitForSelector('#group-detail h2');
    await checkList('#group-detail', 6);
  });

  await t.test('side-by-side view shows both ids whole', async () => {
    await page.click('#tab-pairs');
    await page.click('#view-pairs .vrow >> nth=0');
    await page.waitForSelector('#view-pair #doc-a');
    const heads = await page.$$eval('#view-pair .side h3', (hs) => hs.map((x) => ({
      text: x.textContent, cut: x.scrollWidth > x.clientWidth + 1,
    })));
    assert.equal(heads.length, 2);
    for (const head of heads) {
      assert.match(head.text, /20news:20news-bydate-test\/comp\.os\.ms-windows\.misc\/531\d\d/);
      assert.ok(!head.cut, `${head.text} is cut`);
    }
    await h.screenshot(page, dir, 'pair');
  });

  await t.test('no script errors', () => assert.deepEqual(errors, []));
});
