// The side-by-side view of the seed pair (two outlets' versions of one story): passages in matching
// colours, verbatim and reworded told apart, boilerplate greyed, additions marked, and a click on a
// passage scrolls the other side to its match.
//
// With `overlap align A B --html FILE` (when the binary has it) the page is the command's own;
// until then it is `overlap report` of a reuse-shaped folder built from `overlap align --json`.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');

const SEED_A = path.join(h.DATA, 'seeds', '000_9646bb2135868c17.txt');
const SEED_B = path.join(h.DATA, 'seeds', '003_b5dab42e183730da.txt');
const cpLength = (s) => [...s].length;
const cpSlice = (s, a, b) => [...s].slice(a, b).join('');

/** A reuse output folder, as `overlap reuse` writes it, holding one pair. */
function reuseFolder(dir, a, b, alignment, boilerplate, inputs) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({
    command: 'reuse', documents: { accepted: 2 },
    inputs: inputs.map((p) => ({ path: p, format: 'text' })),
    parameters: {}, timings_ms: { total: 1 },
  }));
  h.writeJsonl(path.join(dir, 'pairs.jsonl'), [{ a, b, score: alignment.score, coverage_a: alignment.coverage_a,
    coverage_b: alignment.coverage_b, passages: alignment.passages }]);
  h.writeJsonl(path.join(dir, 'stories.jsonl'), [{ id: a, story: 0 }, { id: b, story: 0 }]);
  h.writeJsonl(path.join(dir, 'boilerplate.jsonl'), boilerplate);
}

/** For each passage on one side: its colour class, whether reworded, its text, and its dash style. */
function passagesOn(page, side) {
  return page.$$eval(`#doc-${side} [data-p]`, (spans) => {
    const out = {};
    for (const s of spans) {
      const p = s.dataset.p;
      const colour = [...s.classList].find((c) => /^c\d+$/.test(c));
      out[p] = out[p] || { colour, reworded: s.classList.contains('rew'), text: '', dash: getComputedStyle(s).textDecorationStyle, bg: getComputedStyle(s).backgroundColor };
      out[p].text += s.textContent;
    }
    return out;
  });
}

/** Click passage `p` on `from` and check that the other side now shows its match. */
async function clickAndCheck(page, from, to, p) {
  assert.ok(await page.$eval(`#doc-${to}`, (box) => box.scrollHeight > 1.2 * box.clientHeight), 'the text is taller than its box');
  await page.$eval(`#doc-${to}`, (box, top) => { box.scrollTop = top ? 0 : box.scrollHeight; },
    await page.$eval(`#doc-${to} [data-p="${p}"]`, (e) => e.offsetTop > e.parentElement.scrollHeight / 2));
  await page.click(`#doc-${from} [data-p="${p}"] >> nth=0`);
  return page.$eval(`#doc-${to}`, (box, q) => {
    const t = box.querySelector(`[data-p="${q}"]`).getBoundingClientRect();
    const r = box.getBoundingClientRect();
    return t.top >= r.top - 1 && t.bottom <= r.bottom + 1;
  }, p);
}

test('side-by-side view of the seed pair', { timeout: 300000 }, async (t) => {
  const dir = h.freshDir('seed-pair');
  const textA = fs.readFileSync(SEED_A, 'utf8');
  const textB = fs.readFileSync(SEED_B, 'utf8');
  const alignment = JSON.parse(h.overlap(['align', h.rel(SEED_A), h.rel(SEED_B), '--json']).stdout);
  assert.ok(alignment.passages.length >= 3, 'the seeds share passages');
  const appeal = textA.indexOf('A Message from The Moscow Times');
  assert.ok(appeal > 0);
  const appealCp = cpLength(textA.slice(0, appeal));

  let file;
  const alignHtml = /--html/.test(h.overlapHelp('align'));
  if (alignHtml) {
    file = path.join(dir, 'align.html');
    h.overlap(['align', h.rel(SEED_A), h.rel(SEED_B), '--html', h.rel(file)]);
  } else {
    const folder = path.join(dir, 'reuse');
    const [a, b] = [h.rel(SEED_A), h.rel(SEED_B)];
    reuseFolder(folder, a, b, alignment,
      [{ source: 'The Moscow Times', text: textA.slice(appeal), documents: [a], spans: { [a]: [[appealCp, cpLength(textA)]] } }],
      [a, b]);
    h.overlap(['report', h.rel(folder), '--quiet']);
    file = path.join(folder, 'report.html');
  }
  t.diagnostic(alignHtml ? 'page from overlap align --html' : 'page from overlap report of a reuse-shaped folder (overlap align has no --html yet)');

  const browser = await h.launch();
  t.after(() => browser.close());
  const { page, dialogs, errors } = await h.openReport(browser, file, alignHtml ? '' : 'pair=0');
  await page.waitForSelector('#doc-a [data-p]');
  await h.screenshot(page, dir, 'seed-pair');

  await t.test('both texts, whole', async () => {
    assert.equal(await page.textContent('#doc-a'), textA);
    assert.equal(await page.textContent('#doc-b'), textB);
  });

  await t.test('passages in matching colours, verbatim and reworded told apart', async () => {
    const onA = await passagesOn(page, 'a');
    const onB = await passagesOn(page, 'b');
    assert.equal(Object.keys(onA).length, alignment.passages.length);
    assert.equal(Object.keys(onB).length, alignment.passages.length);
    alignment.passages.forEach((q, p) => {
      const [x, y] = [onA[p], onB[p]];
      assert.equal(x.colour, y.colour, `passage ${p}: same colour on both sides`);
      assert.equal(x.bg, y.bg);
      if (p > 0) assert.notEqual(x.colour, onA[p - 1].colour, 'neighbours differ');
      assert.equal(x.reworded, q.kind !== 'verbatim');
      assert.equal(y.reworded, q.kind !== 'verbatim');
      assert.equal(x.dash, q.kind === 'verbatim' ? 'solid' : 'dashed', 'reworded passages are drawn differently');
      // Offsets are code points of the original texts.
      assert.equal(x.text, cpSlice(textA, q.a[0], q.a[1]));
      assert.equal(y.text, cpSlice(textB, q.b[0], q.b[1]));
    });
    assert.ok(alignment.passages.some((q) => q.kind === 'verbatim') && alignment.passages.some((q) => q.kind !== 'verbatim'));
  });

  await t.test('boilerplate greyed, additions marked', async () => {
    const bp = await page.$$eval('#doc-a .bp', (s) => s.map((x) => [x.textContent, getComputedStyle(x).color]));
    if (!alignHtml || bp.length) {
      assert.equal(bp.map((x) => x[0]).join(''), textA.slice(appeal));
      assert.equal(bp[0][1], 'rgb(139, 143, 152)');
    }
    const addsB = (await page.$$eval('#doc-b .add', (s) => s.map((x) => x.textContent))).join('\n');
    assert.match(addsB, /Read more:/, "B's added lines are marked");
    assert.ok((await page.$$('#doc-a .add')).length > 0, "A's unaligned text is marked");
  });

  await t.test('clicking a passage scrolls the other side to its match', async () => {
    const last = alignment.passages.length - 1;
    assert.ok(await clickAndCheck(page, 'a', 'b', last), 'A -> B');
    assert.ok(await clickAndCheck(page, 'b', 'a', 0), 'B -> A');
    assert.ok(await clickAndCheck(page, 'a', 'b', Math.floor(last / 2)), 'A -> B, middle');
    await h.screenshot(page, dir, 'seed-pair-clicked');
  });

  await t.test('no dialogs, errors or network', () => {
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
    assert.deepEqual(browser.network, []);
  });
});

test('code point offsets land on the right characters past astral characters', { timeout: 120000 }, async (t) => {
  const dir = h.freshDir('astral');
  const a = '😀😀 alpha beta gamma 😀 delta\n𝒜 end';
  const b = 'delta 😀 alpha beta gamma';
  fs.writeFileSync(path.join(dir, 'a.txt'), a);
  fs.writeFileSync(path.join(dir, 'b.txt'), b);
  const [ia, ib] = [h.rel(path.join(dir, 'a.txt')), h.rel(path.join(dir, 'b.txt'))];
  const folder = path.join(dir, 'reuse');
  reuseFolder(folder, ia, ib, {
    score: 1, coverage_a: 0.5, coverage_b: 0.8,
    passages: [{ a: [3, 19], b: [8, 24], score: 1, kind: 'verbatim' }, { a: [22, 27], b: [0, 5], score: 1, kind: 'reworded' }],
  }, [{ source: null, text: '𝒜 end', documents: [ia], spans: { [ia]: [[28, 33]] } }], [ia, ib]);
  h.overlap(['report', h.rel(folder), '--quiet']);
  const browser = await h.launch();
  t.after(() => browser.close());
  const { page, errors } = await h.openReport(browser, path.join(folder, 'report.html'), 'pair=0');
  await page.waitForSelector('#doc-a [data-p]');
  const onA = await passagesOn(page, 'a');
  const onB = await passagesOn(page, 'b');
  assert.equal(onA[0].text, 'alpha beta gamma');
  assert.equal(onB[0].text, 'alpha beta gamma');
  assert.equal(onA[1].text, 'delta');
  assert.equal(onB[1].text, 'delta');
  assert.equal(await page.textContent('#doc-a .bp'), '𝒜 end');
  assert.deepEqual(errors, []);
});
