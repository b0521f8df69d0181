// A reuse report states the rule that makes a pair related, as the run applied it, instead of
// calling the pair score a threshold (pairs below it are related by their passages).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const h = require('./harness');

test('reuse report states the related rule', { timeout: 300000 }, async (t) => {
  const dir = h.freshDir('related-rule');
  const out = path.join(dir, 'out');
  h.overlap(['reuse', h.rel(path.join(h.DATA, 'seeds')), '--out', h.rel(out), '--report', '--quiet']);
  const browser = await h.launch();
  t.after(() => browser.close());
  const { page, errors } = await h.openReport(browser, path.join(out, 'report.html'));
  const card = await page.textContent('[data-stat="threshold"]');
  assert.match(card, /Related when/);
  assert.match(card, /score ≥ 0\.2 with 12\+ words in passages, or 15\+ words of passage evidence, or one verbatim passage of 12\+ words/);
  // Signature lines are masked like boilerplate, so the stated rule says so, with the run's value.
  assert.match(card, /boilerplate, template lines, signature lines \(short lines closing 3\+ posts of one source\) do not count/);
  assert.match(card, /do not count, except a signature that one post quotes with 8\+ words of the other's text/);
  const caption = await page.textContent('#plot-scores');
  assert.match(caption, /related by the length of their passages/);
  assert.doesNotMatch(caption, /dashed line: threshold/);
  assert.deepEqual(errors, []);
});
