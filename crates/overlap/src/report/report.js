// overlap report page. Reads the JSON blocks the builder embedded and renders everything with
// createElement / textContent: no data ever becomes markup. Lists are virtualized (only the visible
// rows exist in the DOM), texts and passages are parsed only when first needed.
'use strict';
(function () {
  const started = performance.now();
  const DATA = JSON.parse(document.getElementById('overlap-data').textContent);
  const P = DATA.pairs;
  const G = DATA.groups;
  const NPAIRS = P.a.length;
  const IS_PAIR_PAGE = DATA.command === 'pair';
  const IS_DEDUP = DATA.command === 'dedup';
  const GROUP = G.label || 'cluster';
  const GROUPS = GROUP === 'story' ? 'stories' : GROUP + 's';

  let textsCache = null;
  function texts() {
    if (!textsCache) textsCache = JSON.parse(document.getElementById('overlap-texts').textContent);
    return textsCache;
  }
  let passagesCache;
  function passagesOf(i) {
    if (passagesCache === undefined) {
      passagesCache = JSON.parse(document.getElementById('overlap-passages').textContent);
    }
    return passagesCache ? passagesCache[i] || [] : null;
  }

  // ---------------------------------------------------------------- helpers
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'text') node.textContent = String(v);
        else if (k === 'class') node.className = v;
        else if (k === 'on') for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
        else if (k === 'dataset') Object.assign(node.dataset, v);
        else if (k === 'style') for (const [sk, sv] of Object.entries(v)) node.style.setProperty(sk, sv);
        else node.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of children) append(node, c);
    return node;
  }
  function append(node, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach((x) => append(node, x));
    else node.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  const SVGNS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') node.textContent = String(v);
      else node.setAttribute(k, String(v));
    }
    for (const c of children) if (c) node.appendChild(c);
    return node;
  }
  const nf = new Intl.NumberFormat('en-US');
  function fmtInt(n) { return n === null || n === undefined ? '–' : nf.format(n); }
  function fmtScore(x) { return x === null || x === undefined || Number.isNaN(x) ? '–' : (Math.round(x * 1000) / 1000).toFixed(3); }
  function fmtPct(x) { return x === null || x === undefined ? '–' : (100 * x).toFixed(1) + '%'; }
  function fmtMs(ms) { return ms >= 1000 ? (ms / 1000).toFixed(2) + ' s' : ms.toFixed(1) + ' ms'; }
  function get(obj, path) {
    let v = obj;
    for (const k of path.split('.')) {
      if (v === null || typeof v !== 'object' || !(k in v)) return undefined;
      v = v[k];
    }
    return v;
  }
  function debounce(fn, ms) {
    let t = 0;
    return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  }

  // ---------------------------------------------------------------- indices
  const groupOfDoc = new Int32Array(DATA.docs.length).fill(-1);
  (G.members || []).forEach((m, g) => m.forEach((d) => { if (groupOfDoc[d] < 0) groupOfDoc[d] = g; }));
  function groupSize(g) { return g < 0 ? 1 : G.members[g].length; }
  let docsLower = null;
  function lowerIds() {
    if (!docsLower) docsLower = DATA.docs.map((s) => s.toLowerCase());
    return docsLower;
  }
  let textsLower = null;
  function lowerTexts() {
    if (!textsLower) textsLower = texts().map((t) => (t === null ? null : t.toLowerCase()));
    return textsLower;
  }
  let pairsOfGroup = null;
  function groupPairs(g) {
    if (!pairsOfGroup) {
      pairsOfGroup = new Map();
      for (let i = 0; i < NPAIRS; i++) {
        const ga = groupOfDoc[P.a[i]];
        if (ga < 0) continue;
        let list = pairsOfGroup.get(ga);
        if (!list) pairsOfGroup.set(ga, (list = []));
        list.push(i);
      }
    }
    return pairsOfGroup.get(g) || [];
  }
  function kindName(i) { return P.kind.length ? P.kind_names[P.kind[i]] : null; }
  function coverage(side, i) {
    const c = side === 'a' ? P.coverage_a : P.coverage_b;
    return c.length > i ? c[i] : null;
  }

  // ---------------------------------------------------------------- ids
  // Ids of one corpus usually share a long prefix and differ at the end
  // (`20news:20news-bydate-test/alt.atheism/53120`), so an id too wide for its column loses characters
  // in the middle, never its end; the whole id is in the tooltip and in the side-by-side view.
  function idTailStart(s) {
    const k = Math.max(s.lastIndexOf('/'), s.lastIndexOf(':'));
    if (k > 0 && s.length - k <= 24) return k;
    return Math.max(0, s.length - 16);
  }
  function idCell(id) {
    const s = String(id);
    const cut = idTailStart(s);
    return el('span', { class: 'idc', title: s },
      el('span', { class: 'idh', text: s.slice(0, cut) }),
      cut < s.length ? el('span', { class: 'idt', text: s.slice(cut) }) : null);
  }

  // ---------------------------------------------------------------- virtual table
  // Rows are absolutely positioned inside a spacer as tall as all rows; only the rows in view (and a
  // few around them) exist. Past MAX_PX the spacer is capped and scrolling maps proportionally.
  const MAX_PX = 8000000;
  class VTable {
    constructor(columns, opts) {
      this.columns = columns;
      this.rowH = opts.rowHeight || 28;
      this.onOpen = opts.onOpen;
      this.rows = new Int32Array(0);
      this.sortKey = opts.sortKey || null;
      this.sortDir = opts.sortDir || -1;
      this.root = el('div', { class: 'vtable', role: 'table', 'aria-label': opts.label || 'list',
        'aria-rowcount': 0, style: { '--cols': columns.map((c) => c.width || '1fr').join(' ') } });
      this.head = el('div', { class: 'vhead', role: 'row' });
      this.headButtons = columns.map((c) => {
        const b = el('button', { type: 'button', role: 'columnheader', class: c.numeric ? 'num' : '',
          title: c.sort ? 'Sort by ' + c.label : c.label, text: c.label, dataset: { key: c.key } });
        if (c.sort) b.addEventListener('click', () => this.sortBy(c.key, this.sortKey === c.key ? -this.sortDir : (c.numeric ? -1 : 1)));
        this.head.appendChild(b);
        return b;
      });
      this.body = el('div', { class: 'vbody', role: 'rowgroup', style: { height: opts.height || 'calc(100vh - 190px)' } });
      this.spacer = el('div', { class: 'vspacer' });
      this.empty = el('div', { class: 'vempty', text: opts.emptyText || 'Nothing to show.', hidden: true });
      this.body.appendChild(this.spacer);
      this.body.appendChild(this.empty);
      this.root.appendChild(this.head);
      this.root.appendChild(this.body);
      let pending = false;
      this.body.addEventListener('scroll', () => {
        if (pending) return;
        pending = true;
        requestAnimationFrame(() => { pending = false; this.render(); });
      });
      this.spacer.addEventListener('click', (e) => {
        const row = e.target.closest('.vrow');
        if (row) this.onOpen(Number(row.dataset.index));
      });
      this.spacer.addEventListener('keydown', (e) => {
        const row = e.target.closest('.vrow');
        if (row && e.key === 'Enter') this.onOpen(Number(row.dataset.index));
      });
      window.addEventListener('resize', () => this.render());
    }
    setRows(rows) {
      this.rows = rows;
      this.applySort();
      this.body.scrollTop = 0;
      this.layout();
    }
    sortBy(key, dir) {
      this.sortKey = key;
      this.sortDir = dir;
      this.applySort();
      this.body.scrollTop = 0;
      this.layout();
    }
    applySort() {
      const col = this.columns.find((c) => c.key === this.sortKey);
      this.headButtons.forEach((b, i) => {
        const c = this.columns[i];
        if (c.key === this.sortKey) b.setAttribute('aria-sort', this.sortDir > 0 ? 'ascending' : 'descending');
        else b.removeAttribute('aria-sort');
      });
      if (!col) return;
      const n = this.rows.length;
      const keys = new Array(n);
      for (let j = 0; j < n; j++) keys[j] = col.sort(this.rows[j]);
      const order = new Int32Array(n);
      for (let j = 0; j < n; j++) order[j] = j;
      const dir = this.sortDir;
      const missing = col.numeric ? -Infinity : '';
      order.sort((x, y) => {
        let kx = keys[x], ky = keys[y];
        if (kx === null || kx === undefined) kx = missing;
        if (ky === null || ky === undefined) ky = missing;
        if (kx < ky) return -dir;
        if (kx > ky) return dir;
        return this.rows[x] - this.rows[y];
      });
      const sorted = new Int32Array(n);
      for (let j = 0; j < n; j++) sorted[j] = this.rows[order[j]];
      this.rows = sorted;
    }
    layout() {
      const full = this.rows.length * this.rowH;
      this.spacer.style.height = Math.min(full, MAX_PX) + 'px';
      this.root.setAttribute('aria-rowcount', String(this.rows.length));
      this.empty.hidden = this.rows.length > 0;
      this.render();
    }
    render() {
      const n = this.rows.length;
      const view = this.body.clientHeight || 600;
      const full = n * this.rowH;
      const top = this.body.scrollTop;
      // Virtual offset of the top of the view, in row pixels.
      const virt = full <= MAX_PX ? top : (top * (full - view)) / Math.max(1, MAX_PX - view);
      const first = Math.max(0, Math.floor(virt / this.rowH) - 4);
      const last = Math.min(n, Math.ceil((virt + view) / this.rowH) + 4);
      const frag = document.createDocumentFragment();
      for (let j = first; j < last; j++) {
        const idx = this.rows[j];
        const row = el('div', { class: 'vrow', role: 'row', tabindex: 0, 'aria-rowindex': j + 1,
          dataset: { index: idx }, style: { top: (top + j * this.rowH - virt) + 'px' } });
        for (const c of this.columns) {
          const v = c.render(idx);
          const cell = el('span', { role: 'cell', class: c.numeric ? 'num' : '' });
          append(cell, v);
          if (typeof v === 'string') cell.title = v;
          row.appendChild(cell);
        }
        frag.appendChild(row);
      }
      this.spacer.replaceChildren(frag);
    }
  }

  // ---------------------------------------------------------------- tabs and routing
  const main = document.getElementById('main');
  const tabs = document.getElementById('tabs');
  document.getElementById('title').textContent = DATA.title || 'overlap report';
  document.title = DATA.title || 'overlap report';
  const views = {};
  const builders = {};
  function addView(name, label, build) {
    builders[name] = build;
    if (label) {
      tabs.appendChild(el('a', { href: '#' + name, id: 'tab-' + name, text: label, dataset: { view: name } }));
    }
  }
  function showView(name) {
    if (!views[name]) {
      views[name] = el('section', { class: 'view', id: 'view-' + name });
      main.appendChild(views[name]);
      builders[name](views[name]);
    }
    for (const [k, v] of Object.entries(views)) v.hidden = k !== name;
    for (const a of tabs.querySelectorAll('a')) a.classList.toggle('active', a.dataset.view === name);
    return views[name];
  }
  let currentPairList = null; // the pair order prev/next walk through

  // The texts and passages blocks come after this script in the page, so that the lists show while
  // the browser is still reading them; what needs them waits until the page is parsed.
  function whenParsed(fn) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => fn(), { once: true });
    else fn();
  }
  function route() {
    const hash = decodeURIComponent(location.hash.slice(1));
    const m = /^(pair|group)=(\d+)$/.exec(hash);
    if (IS_PAIR_PAGE) {
      whenParsed(() => { openPair(0); markReady(); });
      return;
    } else if (m && m[1] === 'pair' && Number(m[2]) < NPAIRS) {
      const i = Number(m[2]);
      whenParsed(() => { if (location.hash === '#pair=' + i) openPair(i); markReady(); });
      return;
    } else if (m && m[1] === 'group' && Number(m[2]) < G.ids.length) {
      showView('groups');
      openGroup(Number(m[2]));
    } else if (builders[hash]) {
      showView(hash);
    } else {
      showView('summary');
    }
    markReady();
  }

  // Ready: the first view is built and the frame showing it has been drawn.
  let ready = false;
  function markReady() {
    if (ready) return;
    ready = true;
    const built = performance.now();
    requestAnimationFrame(() => setTimeout(() => {
      const at = performance.now();
      window.__overlap.readyAt = at;
      window.__overlap.initMs = built - started;
      document.body.dataset.ready = '1';
    }, 0));
  }

  // ---------------------------------------------------------------- summary
  function buildSummary(view) {
    const S = DATA.summary || {};
    const warnings = DATA.warnings || [];
    for (const w of warnings) view.appendChild(el('p', { class: 'warning', text: w }));
    const cards = el('div', { class: 'cards', id: 'stats' });
    const card = (key, label, value, sub) => el('div', { class: 'card', dataset: { stat: key, value: value === undefined ? '' : value } },
      el('div', { class: 'label', text: label }),
      el('div', { class: 'value', text: typeof value === 'number' ? fmtInt(value) : (value === undefined ? '–' : value) }),
      sub ? el('div', { class: 'sub', text: sub }) : null);
    const docsRead = get(S, 'documents.read');
    const accepted = get(S, 'documents.accepted') ?? (typeof S.documents === 'number' ? S.documents : undefined);
    cards.appendChild(card('documents', 'Documents', accepted ?? docsRead,
      docsRead !== undefined ? fmtInt(docsRead) + ' read, ' + fmtInt(get(S, 'documents.skipped') || 0) + ' skipped' : null));
    if (IS_DEDUP) {
      const rx = get(S, 'documents.removed_exact') || 0;
      const rn = get(S, 'documents.removed_near') || 0;
      cards.appendChild(card('kept', 'Kept', get(S, 'documents.kept')));
      cards.appendChild(card('removed', 'Removed', rx + rn, fmtInt(rx) + ' exact, ' + fmtInt(rn) + ' near'));
      cards.appendChild(card('clusters', 'Clusters with duplicates', get(S, 'clusters.with_duplicates') ?? G.ids.length,
        'largest ' + fmtInt(get(S, 'clusters.largest')) + ', ' + fmtInt(get(S, 'clusters.total')) + ' in all'));
    } else {
      cards.appendChild(card('stories', 'Stories (2+ documents)', G.ids.length));
    }
    const exactPairs = P.kind.length ? countKind('exact') : null;
    cards.appendChild(card('pairs', 'Pairs', NPAIRS,
      exactPairs !== null ? fmtInt(exactPairs) + ' exact, ' + fmtInt(countKind('near')) + ' near' +
        (get(S, 'pairs.candidates') !== undefined ? ', ' + fmtInt(get(S, 'pairs.candidates')) + ' LSH candidates' : '') : null));
    if (!IS_DEDUP) {
      let np = 0;
      for (const c of P.passages) np += c;
      cards.appendChild(card('passages', 'Passages', np));
      cards.appendChild(card('boilerplate', 'Boilerplate texts', DATA.boilerplate.length));
    }
    const thr = threshold();
    if (thr !== undefined && IS_DEDUP) cards.appendChild(card('threshold', 'Threshold', thr, P.score_name));
    // Reuse has no single threshold: a pair is related by any of three rules (README, `align`).
    if (thr !== undefined && !IS_DEDUP) cards.appendChild(card('threshold', 'Related when', thr, relatedRule()));
    // MinHash bands (dedup --semantic's sign-bit bands have no permutations and another S-curve).
    const minhash = get(S, 'parameters.num_perm') !== undefined;
    const bands = minhash ? get(S, 'parameters.bands') : undefined, rows = get(S, 'parameters.rows');
    if (bands !== undefined && rows !== undefined) {
      cards.appendChild(card('lsh', 'LSH bands × rows', bands + ' × ' + rows, fmtInt(get(S, 'parameters.num_perm')) + ' permutations'));
    }
    const total = get(S, 'timings_ms.total');
    if (total !== undefined) cards.appendChild(card('time', 'Total time', fmtMs(total), S.threads ? S.threads + ' threads' : null));
    cards.appendChild(card('texts', 'Texts in report', DATA.texts_found, 'of ' + fmtInt(DATA.docs.length) + ' documents'));
    view.appendChild(cards);

    view.appendChild(el('h2', { text: 'Plots' }));
    const plots = el('div', { class: 'plots' });
    plots.appendChild(scoreHistogram());
    if (G.size_counts && G.size_counts.length) plots.appendChild(sizePlot());
    if (bands !== undefined && rows !== undefined) plots.appendChild(sCurve(bands, rows, thr));
    if (S.timings_ms) plots.appendChild(timingsPlot(S.timings_ms));
    view.appendChild(plots);

    const cols = el('div', { class: 'columns2' });
    if (S.parameters) cols.appendChild(el('div', null, el('h2', { text: 'Parameters' }), kvTable(flatten(S.parameters), 'parameters')));
    if (S.timings_ms) {
      const t = stageTimes(S.timings_ms).map(([k, v]) => [k, fmtMs(v)]);
      cols.appendChild(el('div', null, el('h2', { text: 'Time per stage' }), kvTable(t, 'timings', true)));
    }
    const counts = [];
    for (const sect of ['documents', 'clusters', 'pairs', 'stories', 'passages', 'boilerplate']) {
      if (S[sect] && typeof S[sect] === 'object') for (const [k, v] of flatten(S[sect])) counts.push([sect + '.' + k, typeof v === 'number' ? fmtInt(v) : v]);
    }
    if (counts.length) cols.appendChild(el('div', null, el('h2', { text: 'Counts' }), kvTable(counts, 'counts', true)));
    view.appendChild(cols);
    if (Array.isArray(S.inputs) && S.inputs.length) {
      view.appendChild(el('h2', { text: 'Inputs' }));
      const keys = Object.keys(S.inputs[0]).sort((x, y) => (y === 'path') - (x === 'path'));
      view.appendChild(el('table', { class: 'kv', id: 'inputs' },
        el('tr', null, keys.map((k) => el('th', { text: k }))),
        S.inputs.slice(0, 200).map((inp) => el('tr', null, keys.map((k) => el('td', { text: inp[k] }))))));
      if (S.inputs.length > 200) view.appendChild(el('p', { class: 'muted', text: '… and ' + fmtInt(S.inputs.length - 200) + ' more inputs' }));
    }
    if (S.skipped_by_reason && Object.keys(S.skipped_by_reason).length) {
      view.appendChild(el('h2', { text: 'Skipped records' }));
      view.appendChild(kvTable(Object.entries(S.skipped_by_reason), 'skipped', true));
    }
  }
  // Reuse's relatedness rule in words, from the parameters the run used.
  function relatedRule() {
    const a = (k, d) => { const v = get(DATA.summary || {}, 'parameters.align.' + k); return v === undefined ? d : v; };
    return 'score ≥ ' + a('related_score', 0.2) + ' with ' + a('min_related_words', 12) + '+ words in passages, or ' +
      a('min_related_evidence_words', 15) + '+ words of passage evidence, or one verbatim passage of ' +
      a('min_related_verbatim_words', 12) + '+ words' + masked();
  }
  // What reuse leaves out of the passages before the rule applies (absent from older summaries).
  function masked() {
    const sig = get(DATA.summary || {}, 'parameters.signature_min_docs');
    if (sig === undefined) return '';
    const parts = ['boilerplate', 'template lines'];
    if (sig > 0) parts.push('signature lines (short lines closing ' + sig + '+ posts of one source)');
    // The quoted-signature exception (reuse::quoted_signatures) applies wherever signatures do.
    const quoted = sig > 0 ? ', except a signature that one post quotes with 8+ words of the other\'s text' : '';
    return '; ' + parts.join(', ') + ' do not count' + quoted;
  }
  // The score at or above which a pair is reported: dedup's Jaccard threshold, reuse's related score.
  function threshold() {
    for (const key of ['parameters.threshold', 'parameters.align.related_score', 'parameters.related_score']) {
      const t = get(DATA.summary || {}, key);
      if (typeof t === 'number') return t;
    }
    return undefined;
  }
  function countKind(name) {
    const code = P.kind_names.indexOf(name);
    if (code < 0) return 0;
    let n = 0;
    for (let i = 0; i < NPAIRS; i++) if (P.kind[i] === code) n++;
    return n;
  }
  function flatten(obj, prefix, out) {
    out = out || [];
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix ? prefix + '.' + k : k;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v, key, out);
      else out.push([key, Array.isArray(v) ? JSON.stringify(v) : v]);
    }
    return out;
  }
  function kvTable(rows, id, numeric) {
    return el('table', { class: 'kv', id: 'kv-' + id },
      rows.map(([k, v]) => el('tr', { dataset: { key: k } }, el('th', { text: k }),
        el('td', { class: numeric ? 'num' : '', text: v === null ? 'null' : v }))));
  }

  // ---------------------------------------------------------------- plots (inline SVG)
  const W = 480, H = 250, ML = 48, MR = 14, MT = 16, MB = 40;
  function plotBox(title, caption, id) {
    const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title });
    const box = el('figure', { class: 'plot', id }, el('h3', { text: title }), s,
      caption ? el('figcaption', { class: 'caption', text: caption }) : null);
    return [box, s];
  }
  function niceTicks(lo, hi, n) {
    const span = hi - lo || 1;
    const step0 = span / n;
    const mag = Math.pow(10, Math.floor(Math.log10(step0)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) || step0;
    const ticks = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) ticks.push(Math.round(v * 1e9) / 1e9);
    return ticks;
  }
  function axes(s, xs, ys, xTicks, yTicks, xLabel, yLabel, xFmt, yFmt) {
    for (const t of yTicks) {
      const y = ys(t);
      s.appendChild(svg('line', { class: 'grid', x1: ML, x2: W - MR, y1: y, y2: y }));
      s.appendChild(svg('text', { x: ML - 6, y: y + 4, 'text-anchor': 'end', text: yFmt ? yFmt(t) : t }));
    }
    for (const t of xTicks) {
      const x = xs(t);
      s.appendChild(svg('line', { class: 'axis', x1: x, x2: x, y1: H - MB, y2: H - MB + 4 }));
      s.appendChild(svg('text', { x, y: H - MB + 16, 'text-anchor': 'middle', text: xFmt ? xFmt(t) : t }));
    }
    s.appendChild(svg('line', { class: 'axis', x1: ML, x2: W - MR, y1: H - MB, y2: H - MB }));
    s.appendChild(svg('line', { class: 'axis', x1: ML, x2: ML, y1: MT, y2: H - MB }));
    s.appendChild(svg('text', { x: (ML + W - MR) / 2, y: H - 6, 'text-anchor': 'middle', text: xLabel }));
    s.appendChild(svg('text', { x: 12, y: (MT + H - MB) / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${(MT + H - MB) / 2})`, text: yLabel }));
  }
  function thresholdLine(s, x, label, bottom) {
    s.appendChild(svg('line', { class: 'threshold', x1: x, x2: x, y1: MT, y2: H - MB }));
    const right = x < (ML + W - MR) / 2;
    s.appendChild(svg('text', { class: 'threshold-label', x: right ? x + 4 : x - 4, y: bottom ? H - MB - 6 : MT + 10,
      'text-anchor': right ? 'start' : 'end', text: label }));
  }
  function legend(box, names) {
    box.appendChild(el('div', { class: 'caption' }, names.map((k, i) => el('span', { class: 'key' },
      el('span', { class: 'swatch lg' + (i % 4) }), k))));
  }
  function compact(v) {
    return v >= 1e6 ? v / 1e6 + 'M' : v >= 1e3 ? v / 1e3 + 'k' : String(v);
  }
  function scoreHistogram() {
    const thr = threshold();
    const name = P.score_name === 'jaccard' ? 'Jaccard similarity' : P.score_name === 'cosine' ? 'cosine similarity' : 'score';
    const [box, s] = plotBox('Pair ' + name, fmtInt(NPAIRS) + ' pairs' + (thr !== undefined ? (IS_DEDUP ? '; dashed line: threshold ' + thr
      : '; dashed line: score ' + thr + ' (pairs below it are related by the length of their passages: ' + relatedRule() + ')') : ''), 'plot-scores');
    let lo = Infinity, hi = -Infinity;
    for (const x of P.score) { if (x < lo) lo = x; if (x > hi) hi = x; }
    if (!NPAIRS) { lo = 0; hi = 1; }
    if (thr !== undefined) { lo = Math.min(lo, thr); hi = Math.max(hi, thr); }
    if (hi <= 1 && lo >= 0) { lo = Math.max(0, Math.floor((lo - 0.02) * 20) / 20); hi = 1; }
    if (hi - lo < 1e-9) hi = lo + 1;
    const NB = 40;
    const width = (hi - lo) / NB;
    const kinds = P.kind.length ? P.kind_names.length : 1;
    const counts = Array.from({ length: kinds }, () => new Uint32Array(NB));
    for (let i = 0; i < NPAIRS; i++) {
      const b = Math.min(NB - 1, Math.max(0, Math.floor((P.score[i] - lo) / width)));
      counts[P.kind.length ? P.kind[i] : 0][b]++;
    }
    let maxC = 1;
    for (let b = 0; b < NB; b++) { let t = 0; for (const c of counts) t += c[b]; maxC = Math.max(maxC, t); }
    const xs = (v) => ML + ((v - lo) / (hi - lo)) * (W - ML - MR);
    const ys = (v) => H - MB - (v / maxC) * (H - MB - MT);
    axes(s, xs, ys, niceTicks(lo, hi, 6), niceTicks(0, maxC, 4).filter((t) => Number.isInteger(t)), name, 'pairs');
    for (let b = 0; b < NB; b++) {
      let base = 0;
      for (let k = 0; k < kinds; k++) {
        const c = counts[k][b];
        if (!c) continue;
        const x0 = xs(lo + b * width), x1 = xs(lo + (b + 1) * width);
        const r = svg('rect', { class: 'bar' + (k % 4), x: x0 + 0.5, width: Math.max(1, x1 - x0 - 1), y: ys(base + c), height: ys(base) - ys(base + c) });
        r.appendChild(svg('title', { text: `${fmtScore(lo + b * width)}–${fmtScore(lo + (b + 1) * width)}: ${fmtInt(c)}` + (P.kind.length ? ' ' + P.kind_names[k] : '') + ' pairs' }));
        s.appendChild(r);
        base += c;
      }
    }
    if (thr !== undefined) thresholdLine(s, xs(thr), 'threshold ' + thr);
    if (P.kind.length) legend(box, P.kind_names);
    return box;
  }
  function sizePlot() {
    const sc = G.size_counts;
    const maxSize = sc[sc.length - 1][0];
    // Sizes 1..32 get a bar each; beyond that, bins double in width.
    const bins = [];
    const binOf = (size) => {
      if (maxSize <= 32 || size <= 16) return size;
      return 16 * Math.pow(2, Math.ceil(Math.log2(size / 16)));
    };
    const m = new Map();
    for (const [size, count] of sc) { const b = binOf(size); m.set(b, (m.get(b) || 0) + count); }
    for (const [b, c] of [...m.entries()].sort((x, y) => x[0] - y[0])) bins.push([b, c]);
    const total = sc.reduce((t, [, c]) => t + c, 0);
    const [box, s] = plotBox(GROUP[0].toUpperCase() + GROUP.slice(1) + ' sizes', fmtInt(total) + ' ' + GROUPS + ' (singletons included); counts on a log scale', 'plot-sizes');
    const maxC = Math.max(...bins.map((b) => b[1]), 1);
    const top = Math.pow(10, Math.ceil(Math.log10(maxC + 1)));
    const ys = (v) => H - MB - (Math.log10(v + 1) / Math.log10(top + 1)) * (H - MB - MT);
    const n = bins.length;
    const bw = (W - ML - MR) / n;
    const xs = (i) => ML + (i + 0.5) * bw;
    const yTicks = [];
    for (let v = 1; v <= top; v *= 10) yTicks.push(v);
    const every = Math.ceil(n / 16);
    const labels = bins.map(([b], i) => (i % every === 0 ? i : null)).filter((i) => i !== null);
    axes(s, xs, ys, labels, yTicks, 'documents per ' + GROUP, GROUPS,
      (i) => (maxSize > 32 && bins[i][0] > 16 ? '≤' + bins[i][0] : String(bins[i][0])), compact);
    bins.forEach(([b, c], i) => {
      const r = svg('rect', { class: 'bar0', x: ML + i * bw + 1, width: Math.max(1, bw - 2), y: ys(c), height: ys(0) - ys(c) });
      r.appendChild(svg('title', { text: `${maxSize > 32 && b > 16 ? 'up to ' + b : b} documents: ${fmtInt(c)} ${GROUPS}` }));
      s.appendChild(r);
    });
    return box;
  }
  function sCurve(b, r, thr) {
    const [box, s] = plotBox('LSH S-curve: P(s) = 1 − (1 − sʳ)ᵇ',
      `${b} bands × ${r} rows: probability that a pair of Jaccard similarity s becomes a candidate` +
        (thr !== undefined ? `; shaded: false positive (left of the threshold) and false negative (right) areas` : ''), 'plot-scurve');
    const P_ = (x) => 1 - Math.pow(1 - Math.pow(x, r), b);
    const xs = (v) => ML + v * (W - ML - MR);
    const ys = (v) => H - MB - v * (H - MB - MT);
    axes(s, xs, ys, niceTicks(0, 1, 5), niceTicks(0, 1, 4), 'Jaccard similarity s', 'P(candidate)');
    const pts = [];
    for (let i = 0; i <= 200; i++) { const x = i / 200; pts.push([xs(x), ys(P_(x))]); }
    if (thr !== undefined) {
      const left = pts.filter((_, i) => i / 200 <= thr);
      const right = pts.filter((_, i) => i / 200 >= thr);
      const fp = [[xs(0), ys(0)], ...left, [xs(thr), ys(P_(thr))], [xs(thr), ys(0)]];
      const fn = [[xs(thr), ys(1)], [xs(thr), ys(P_(thr))], ...right, [xs(1), ys(1)]];
      s.appendChild(svg('polygon', { class: 'fp-area', points: fp.map((p) => p.join(',')).join(' ') }));
      s.appendChild(svg('polygon', { class: 'fn-area', points: fn.map((p) => p.join(',')).join(' ') }));
    }
    s.appendChild(svg('polyline', { class: 'curve', points: pts.map((p) => p.map((v) => v.toFixed(1)).join(',')).join(' ') }));
    if (thr !== undefined) {
      thresholdLine(s, xs(thr), 'threshold ' + thr, true);
      const c = svg('circle', { cx: xs(thr), cy: ys(P_(thr)), r: 3.5, fill: 'var(--threshold)' });
      c.appendChild(svg('title', { text: `P(${thr}) = ${P_(thr).toFixed(4)}` }));
      s.appendChild(c);
      s.appendChild(svg('text', { x: xs(thr) + 6, y: ys(P_(thr)) + 14, text: `P = ${P_(thr).toFixed(3)}` }));
    }
    s.appendChild(svg('text', { x: ML + 8, y: MT + 12, text: `${b} × ${r}` }));
    return box;
  }
  // Stages in pipeline order, then any others, then the total.
  function stageTimes(t) {
    const ORDER = ['read', 'read_sketch', 'sketch', 'index', 'candidates', 'verify', 'cluster', 'align', 'boilerplate', 'stories', 'write', 'total'];
    const rank = (k) => (ORDER.includes(k) ? ORDER.indexOf(k) : ORDER.length - 1);
    return Object.entries(t).sort((x, y) => rank(x[0]) - rank(y[0]));
  }
  function timingsPlot(t) {
    const stages = stageTimes(t).filter(([k]) => k !== 'total');
    const total = t.total;
    const [box, s] = plotBox('Time per stage', total !== undefined ? 'total ' + fmtMs(total) : '', 'plot-timings');
    const maxV = Math.max(1e-9, ...stages.map(([, v]) => v));
    const rowH = Math.min(28, (H - MT - 10) / Math.max(1, stages.length));
    const x0 = 110;
    stages.forEach(([k, v], i) => {
      const y = MT + i * rowH;
      s.appendChild(svg('text', { x: x0 - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end', text: k }));
      const w = (v / maxV) * (W - x0 - 80);
      const r = svg('rect', { class: 'bar' + (i % 4), x: x0, y: y + 4, width: Math.max(1, w), height: rowH - 8 });
      r.appendChild(svg('title', { text: `${k}: ${fmtMs(v)}` }));
      s.appendChild(r);
      s.appendChild(svg('text', { x: x0 + w + 6, y: y + rowH / 2 + 4, text: fmtMs(v) }));
    });
    return box;
  }

  // ---------------------------------------------------------------- pairs list
  function pairColumns() {
    const cols = [
      { key: 'n', label: '#', width: '64px', numeric: true, sort: (i) => i, render: (i) => String(i + 1) },
      { key: 'a', label: 'document A', width: 'minmax(120px, 2fr)', sort: (i) => DATA.docs[P.a[i]], render: (i) => idCell(DATA.docs[P.a[i]]) },
      { key: 'b', label: 'document B', width: 'minmax(120px, 2fr)', sort: (i) => DATA.docs[P.b[i]], render: (i) => idCell(DATA.docs[P.b[i]]) },
      { key: 'score', label: P.score_name + (P.estimated ? ' (est.)' : ''), width: '90px', numeric: true, sort: (i) => P.score[i], render: (i) => fmtScore(P.score[i]) },
    ];
    if (P.kind.length) {
      cols.push({ key: 'kind', label: 'kind', width: '80px', sort: (i) => kindName(i),
        render: (i) => el('span', { class: 'badge ' + kindName(i), text: kindName(i) }) });
    }
    if (P.coverage_a.length) {
      cols.push({ key: 'cova', label: 'coverage A', width: '100px', numeric: true, sort: (i) => P.coverage_a[i], render: (i) => fmtPct(P.coverage_a[i]) });
      cols.push({ key: 'covb', label: 'coverage B', width: '100px', numeric: true, sort: (i) => P.coverage_b[i], render: (i) => fmtPct(P.coverage_b[i]) });
    }
    if (P.passages.length) {
      cols.push({ key: 'passages', label: 'passages', width: '84px', numeric: true, sort: (i) => P.passages[i], render: (i) => fmtInt(P.passages[i]) });
    }
    if (G.ids.length) {
      cols.push({ key: 'group', label: GROUP + ' size', width: '110px', numeric: true, sort: (i) => groupSize(groupOfDoc[P.a[i]]), render: (i) => fmtInt(groupSize(groupOfDoc[P.a[i]])) });
    }
    cols.push({ key: 'size', label: 'chars A+B', width: '110px', numeric: true,
      sort: (i) => pairChars(i), render: (i) => fmtInt(pairChars(i)) });
    return cols;
  }
  function pairChars(i) {
    const la = DATA.lengths[P.a[i]], lb = DATA.lengths[P.b[i]];
    return la === null || lb === null ? null : la + lb;
  }
  function allRows(n) {
    const r = new Int32Array(n);
    for (let i = 0; i < n; i++) r[i] = i;
    return r;
  }
  function buildPairs(view) {
    const search = el('input', { type: 'search', id: 'pair-search', placeholder: 'Search document ids…', 'aria-label': 'Search pairs' });
    const inTexts = el('input', { type: 'checkbox', id: 'pair-search-texts' });
    const kindSel = P.kind.length ? el('select', { id: 'pair-kind', 'aria-label': 'Kind' },
      el('option', { value: '', text: 'all kinds' }), P.kind_names.map((k, c) => el('option', { value: String(c), text: k }))) : null;
    const count = el('span', { class: 'count', id: 'pair-count' });
    view.appendChild(el('div', { class: 'toolbar' }, search,
      DATA.texts_found ? el('label', null, inTexts, ' also in texts') : null, kindSel, count));
    const table = new VTable(pairColumns(), { label: 'pairs', onOpen: (i) => { currentPairList = table; location.hash = 'pair=' + i; },
      emptyText: 'No pair matches.' });
    view.appendChild(table.root);
    const apply = () => {
      const q = search.value.trim().toLowerCase();
      const kind = kindSel && kindSel.value !== '' ? Number(kindSel.value) : -1;
      let rows;
      if (!q && kind < 0) rows = allRows(NPAIRS);
      else {
        const ids = lowerIds();
        const tx = q && inTexts.checked && document.readyState !== 'loading' ? lowerTexts() : null;
        const out = [];
        for (let i = 0; i < NPAIRS; i++) {
          if (kind >= 0 && P.kind[i] !== kind) continue;
          if (q) {
            const a = P.a[i], b = P.b[i];
            const hit = ids[a].includes(q) || ids[b].includes(q) ||
              (tx && ((tx[a] && tx[a].includes(q)) || (tx[b] && tx[b].includes(q))));
            if (!hit) continue;
          }
          out.push(i);
        }
        rows = Int32Array.from(out);
      }
      table.setRows(rows);
      count.textContent = fmtInt(rows.length) + ' of ' + fmtInt(NPAIRS) + ' pairs';
    };
    search.addEventListener('input', debounce(apply, 120));
    inTexts.addEventListener('change', () => whenParsed(apply));
    if (kindSel) kindSel.addEventListener('change', apply);
    apply();
  }

  // ---------------------------------------------------------------- groups list
  function groupColumns() {
    const cols = [
      { key: 'n', label: '#', width: '64px', numeric: true, sort: (g) => g, render: (g) => String(g + 1) },
      { key: 'id', label: GROUP, width: 'minmax(140px, 2fr)', sort: (g) => G.ids[g], render: (g) => idCell(G.ids[g]) },
      { key: 'size', label: 'size', width: '80px', numeric: true, sort: (g) => G.members[g].length, render: (g) => fmtInt(G.members[g].length) },
    ];
    if (G.reasons.length) {
      const count = (g, r) => G.reasons[g].reduce((t, x) => t + (G.reason_names[x] === r ? 1 : 0), 0);
      cols.push({ key: 'exact', label: 'exact', width: '70px', numeric: true, sort: (g) => count(g, 'exact'), render: (g) => fmtInt(count(g, 'exact')) });
      cols.push({ key: 'near', label: 'near', width: '70px', numeric: true, sort: (g) => count(g, 'near'), render: (g) => fmtInt(count(g, 'near')) });
    }
    cols.push({ key: 'pairs', label: 'pairs', width: '70px', numeric: true, sort: (g) => groupPairs(g).length, render: (g) => fmtInt(groupPairs(g).length) });
    cols.push({ key: 'members', label: 'documents', width: 'minmax(160px, 3fr)', render: (g) => {
      const m = G.members[g];
      return m.slice(0, 6).map((d) => DATA.docs[d]).join(', ') + (m.length > 6 ? ', …' : '');
    } });
    return cols;
  }
  let groupDetail = null;
  function buildGroups(view) {
    const search = el('input', { type: 'search', id: 'group-search', placeholder: 'Search ' + GROUP + ' and document ids…', 'aria-label': 'Search ' + GROUPS });
    const count = el('span', { class: 'count', id: 'group-count' });
    view.appendChild(el('div', { class: 'toolbar' }, search, count));
    const table = new VTable(groupColumns(), { label: GROUPS, sortKey: 'size', sortDir: -1, height: 'calc(50vh - 80px)',
      onOpen: (g) => { location.hash = 'group=' + g; }, emptyText: 'No ' + GROUP + ' matches.' });
    view.appendChild(table.root);
    groupDetail = el('div', { class: 'groupdetail', id: 'group-detail' },
      el('p', { class: 'muted', text: 'Choose a ' + GROUP + ' to see its documents and pairs.' }));
    view.appendChild(groupDetail);
    const apply = () => {
      const q = search.value.trim().toLowerCase();
      let rows;
      if (!q) rows = allRows(G.ids.length);
      else {
        const ids = lowerIds();
        const out = [];
        for (let g = 0; g < G.ids.length; g++) {
          if (G.ids[g].toLowerCase().includes(q) || G.members[g].some((d) => ids[d].includes(q))) out.push(g);
        }
        rows = Int32Array.from(out);
      }
      table.setRows(rows);
      count.textContent = fmtInt(rows.length) + ' of ' + fmtInt(G.ids.length) + ' ' + GROUPS + ' with more than one document';
    };
    search.addEventListener('input', debounce(apply, 120));
    apply();
  }
  function openGroup(g) {
    const members = G.members[g];
    groupDetail.replaceChildren();
    groupDetail.appendChild(el('h2', { text: GROUP[0].toUpperCase() + GROUP.slice(1) + ' ' + G.ids[g] + ': ' + fmtInt(members.length) + ' documents' }));
    const mcols = [
      { key: 'id', label: 'document', width: 'minmax(160px, 3fr)', sort: (j) => DATA.docs[members[j]], render: (j) => idCell(DATA.docs[members[j]]) },
    ];
    if (G.reasons.length) mcols.push({ key: 'reason', label: 'reason', width: '150px', sort: (j) => G.reasons[g][j], render: (j) => (j === 0 ? 'kept' : 'removed (' + G.reason_names[G.reasons[g][j]] + ')') });
    mcols.push({ key: 'len', label: 'chars', width: '90px', numeric: true, sort: (j) => DATA.lengths[members[j]], render: (j) => fmtInt(DATA.lengths[members[j]]) });
    const pairs = Int32Array.from(groupPairs(g));
    const mt = new VTable(mcols, { label: GROUP + ' documents', height: Math.min(8, members.length) * 28 + 4 + 'px', onOpen: (j) => {
      const d = members[j];
      for (const i of pairs) if (P.a[i] === d || P.b[i] === d) { currentPairList = pt; location.hash = 'pair=' + i; return; }
    } });
    groupDetail.appendChild(mt.root);
    mt.setRows(allRows(members.length));
    groupDetail.appendChild(el('h3', { text: fmtInt(pairs.length) + ' pairs in this ' + GROUP, style: { 'margin-top': '12px' } }));
    const pt = new VTable(pairColumns(), { label: GROUP + ' pairs', sortKey: 'score', sortDir: -1,
      height: Math.min(10, Math.max(1, pairs.length)) * 28 + 4 + 'px', onOpen: (i) => { currentPairList = pt; location.hash = 'pair=' + i; } });
    groupDetail.appendChild(pt.root);
    pt.setRows(pairs);
    groupDetail.scrollIntoView({ block: 'nearest' });
  }

  // ---------------------------------------------------------------- boilerplate list
  function buildBoilerplate(view) {
    view.appendChild(el('p', { class: 'muted', text: fmtInt(DATA.boilerplate.length) +
      ' texts repeated across many documents of one source; greyed in the side-by-side view and not aligned.' }));
    const list = el('ol', { id: 'boilerplate-list' });
    for (const b of DATA.boilerplate.slice(0, 2000)) {
      list.appendChild(el('li', null,
        el('div', null, el('strong', { text: b.source === null ? '(no source)' : b.source }), ' · ', fmtInt(b.count) + ' documents'),
        el('div', { class: 'bp', style: { 'white-space': 'pre-wrap', padding: '4px 6px', margin: '4px 0' }, text: b.text }),
        el('div', { class: 'muted', text: b.sample.join(', ') + (b.count > b.sample.length ? ', …' : '') })));
    }
    view.appendChild(list);
  }

  // ---------------------------------------------------------------- word diff (dedup pairs)
  // Words: runs of letters, digits and marks (inner apostrophes, dots and commas kept, as the
  // engine's tokenizer does); each CJK ideograph or kana is a word. Compared after NFKC and lower-casing.
  const WORD = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]|(?:(?![\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}])[\p{L}\p{N}\p{M}])+(?:['’.,](?:(?![\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}])[\p{L}\p{N}\p{M}])+)*/gu;
  function words(text, dict) {
    const ids = [], starts = [], ends = [];
    WORD.lastIndex = 0;
    let m;
    while ((m = WORD.exec(text)) !== null) {
      const key = m[0].normalize('NFKC').toLowerCase();
      let id = dict.get(key);
      if (id === undefined) dict.set(key, (id = dict.size));
      ids.push(id);
      starts.push(m.index);
      ends.push(m.index + m[0].length);
    }
    return { ids: Int32Array.from(ids), starts, ends };
  }
  // Myers' O(ND) diff of A[a0..a1) and B[b0..b1); pushes matched index pairs, or returns false when
  // more than maxD edits are needed.
  function myers(A, a0, a1, B, b0, b1, maxD, out) {
    const N = a1 - a0, M = b1 - b0;
    const lim = Math.min(N + M, maxD);
    const off = lim + 1;
    const V = new Int32Array(2 * lim + 3);
    const trace = [];
    for (let d = 0; d <= lim; d++) {
      trace.push(V.slice(off - d - 1, off + d + 2));
      for (let k = -d; k <= d; k += 2) {
        let x = (k === -d || (k !== d && V[off + k - 1] < V[off + k + 1])) ? V[off + k + 1] : V[off + k - 1] + 1;
        let y = x - k;
        while (x < N && y < M && A[a0 + x] === B[b0 + y]) { x++; y++; }
        V[off + k] = x;
        if (x >= N && y >= M) {
          const found = [];
          let cx = N, cy = M;
          for (let dd = d; dd >= 0; dd--) {
            const v = trace[dd]; // V before step dd, indices shifted by dd + 1
            const at = (kk) => v[kk + dd + 1];
            const kk = cx - cy;
            const prevK = (kk === -dd || (kk !== dd && at(kk - 1) < at(kk + 1))) ? kk + 1 : kk - 1;
            const prevX = dd === 0 ? 0 : at(prevK);
            const prevY = dd === 0 ? 0 : prevX - prevK;
            while (cx > prevX && cy > prevY) { cx--; cy--; found.push(cx, cy); }
            cx = prevX; cy = prevY;
          }
          for (let j = found.length - 2; j >= 0; j -= 2) out.push(a0 + found[j], b0 + found[j + 1]);
          return true;
        }
      }
    }
    return false;
  }
  // Patience anchors: words that occur once in each range, in increasing order in both.
  function anchors(A, a0, a1, B, b0, b1) {
    const ca = new Map(), cb = new Map();
    for (let i = a0; i < a1; i++) { const e = ca.get(A[i]); ca.set(A[i], e === undefined ? i : -1); }
    for (let j = b0; j < b1; j++) { const e = cb.get(B[j]); cb.set(B[j], e === undefined ? j : -1); }
    const pairs = [];
    for (let i = a0; i < a1; i++) {
      const pa = ca.get(A[i]);
      if (pa !== i) continue;
      const pb = cb.get(A[i]);
      if (pb !== undefined && pb >= 0) pairs.push([i, pb]);
    }
    // Longest increasing subsequence on B positions.
    const tails = [], prev = new Int32Array(pairs.length).fill(-1), tailIdx = [];
    pairs.forEach(([, j], n) => {
      let lo = 0, hi = tails.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (tails[mid] < j) lo = mid + 1; else hi = mid; }
      tails[lo] = j; tailIdx[lo] = n;
      prev[n] = lo > 0 ? tailIdx[lo - 1] : -1;
    });
    const lis = [];
    for (let n = tailIdx[tails.length - 1]; n !== undefined && n >= 0; n = prev[n]) lis.push(pairs[n]);
    return lis.reverse();
  }
  function diffRange(A, a0, a1, B, b0, b1, out, depth) {
    while (a0 < a1 && b0 < b1 && A[a0] === B[b0]) { out.push(a0, b0); a0++; b0++; }
    const tail = [];
    while (a1 > a0 && b1 > b0 && A[a1 - 1] === B[b1 - 1]) { a1--; b1--; tail.push(a1, b1); }
    if (a0 < a1 && b0 < b1) {
      const maxD = Math.max(64, Math.min(2000, Math.floor(4e7 / (a1 - a0 + b1 - b0 + 1) / 4)));
      const mark = out.length;
      if (!myers(A, a0, a1, B, b0, b1, maxD, out)) {
        out.length = mark;
        const anc = depth < 32 ? anchors(A, a0, a1, B, b0, b1) : [];
        let pa = a0, pb = b0;
        for (const [i, j] of anc) {
          diffRange(A, pa, i, B, pb, j, out, depth + 1);
          out.push(i, j);
          pa = i + 1; pb = j + 1;
        }
        if (anc.length) diffRange(A, pa, a1, B, pb, b1, out, depth + 1);
      }
    }
    for (let j = tail.length - 2; j >= 0; j -= 2) out.push(tail[j], tail[j + 1]);
  }
  const MIN_RUN = 3;
  // Verbatim runs of two texts: [[aStart, aEnd, bStart, bEnd, words, 0], ...] in UTF-16 offsets.
  function verbatimRuns(ta, tb) {
    const dict = new Map();
    const wa = words(ta, dict), wb = words(tb, dict);
    const m = [];
    diffRange(wa.ids, 0, wa.ids.length, wb.ids, 0, wb.ids.length, m, 0);
    const runs = [];
    const minRun = Math.max(1, Math.min(MIN_RUN, wa.ids.length, wb.ids.length));
    let matchedA = 0;
    for (let k = 0; k < m.length;) {
      const i0 = m[k], j0 = m[k + 1];
      let len = 1;
      while (k + 2 * len < m.length && m[k + 2 * len] === i0 + len && m[k + 2 * len + 1] === j0 + len) len++;
      if (len >= minRun) {
        runs.push([wa.starts[i0], wa.ends[i0 + len - 1], wb.starts[j0], wb.ends[j0 + len - 1], len, 0]);
        matchedA += len;
      }
      k += 2 * len;
    }
    return { runs, wordsA: wa.ids.length, wordsB: wb.ids.length, matched: matchedA };
  }

  // ---------------------------------------------------------------- pair view
  // Code point offsets (the job's) to UTF-16 offsets (the page's).
  function cpToUtf16(text) {
    if (!/[\uD800-\uDFFF]/.test(text)) return (x) => Math.min(x, text.length);
    const map = [];
    let u = 0;
    for (const ch of text) { map.push(u); u += ch.length; }
    map.push(u);
    return (x) => map[Math.min(x, map.length - 1)];
  }
  const HAS_WORD = /[\p{L}\p{N}]/u;
  // Render `text` into `box`: passages [{s, e, p, kind}] (UTF-16), boilerplate [[s, e]].
  function renderDoc(box, text, spans, bp, marks) {
    const cuts = new Set([0, text.length]);
    for (const sp of spans) { cuts.add(sp.s); cuts.add(sp.e); }
    for (const [s, e] of bp) { cuts.add(s); cuts.add(e); }
    const points = [...cuts].filter((x) => x >= 0 && x <= text.length).sort((x, y) => x - y);
    const byStart = spans.slice().sort((x, y) => x.s - y.s || x.e - y.e);
    const bps = bp.slice().sort((x, y) => x[0] - y[0]);
    let si = 0, bi = 0;
    let active = [];
    let activeBp = [];
    const frag = document.createDocumentFragment();
    let pending = null; // [start, end, class, p]
    const flush = () => {
      if (!pending) return;
      const [s, e, cls, p] = pending;
      const piece = text.slice(s, e);
      if (!cls) frag.appendChild(document.createTextNode(piece));
      else if (cls === 'add') {
        // Only the words and what lies between them are marked, not the surrounding white space.
        const m = /^(\s*)([\s\S]*?)(\s*)$/.exec(piece);
        if (m[1]) frag.appendChild(document.createTextNode(m[1]));
        frag.appendChild(el('span', { class: 'add', text: m[2] }));
        if (m[3]) frag.appendChild(document.createTextNode(m[3]));
      } else frag.appendChild(el('span', { class: cls, dataset: p >= 0 ? { p: String(p) } : undefined, text: piece }));
      pending = null;
    };
    for (let k = 0; k + 1 < points.length; k++) {
      const x = points[k], y = points[k + 1];
      if (x === y) continue;
      while (si < byStart.length && byStart[si].s <= x) active.push(byStart[si++]);
      active = active.filter((sp) => sp.e > x);
      while (bi < bps.length && bps[bi][0] <= x) activeBp.push(bps[bi++]);
      activeBp = activeBp.filter((b) => b[1] > x);
      let cls = '', p = -1;
      if (activeBp.length) cls = 'bp';
      else if (active.length) {
        const sp = active[0];
        p = sp.p;
        cls = 'pass c' + (p % 12) + (sp.kind === 0 ? '' : ' rew');
      } else if (marks && HAS_WORD.test(text.slice(x, y))) cls = 'add';
      if (pending && pending[2] === cls && pending[3] === p && pending[1] === x) pending[1] = y;
      else { flush(); pending = [x, y, cls, p]; }
    }
    flush();
    box.replaceChildren(frag);
  }
  function scrollDocTo(box, p) {
    const target = box.querySelector('[data-p="' + Number(p) + '"]');
    if (!target) return;
    box.scrollTop = Math.max(0, target.offsetTop - box.clientHeight / 3);
  }
  function flashPassage(p) {
    const all = document.querySelectorAll('#view-pair [data-p="' + Number(p) + '"]');
    all.forEach((n) => n.classList.add('flash'));
    setTimeout(() => all.forEach((n) => n.classList.remove('flash')), 1500);
  }

  function buildPairShell(view) {
    view.appendChild(el('div', { id: 'pair-body' }));
  }
  function openPair(i) {
    const view = showView('pair');
    const body = view.querySelector('#pair-body');
    body.replaceChildren();
    const a = P.a[i], b = P.b[i];
    const T = texts();
    const ta = T[a], tb = T[b];
    // navigation
    const nav = el('div', { class: 'pairnav' });
    if (!IS_PAIR_PAGE) {
      const list = currentPairList || { rows: allRows(NPAIRS) };
      const pos = list ? list.rows.indexOf(i) : -1;
      nav.appendChild(el('a', { href: '#pairs', text: '← all pairs' }));
      const step = (d) => () => { location.hash = 'pair=' + list.rows[pos + d]; };
      nav.appendChild(el('button', { type: 'button', id: 'pair-prev', disabled: pos <= 0, on: { click: step(-1) }, text: '‹ previous' }));
      nav.appendChild(el('button', { type: 'button', id: 'pair-next', disabled: pos < 0 || pos + 1 >= list.rows.length, on: { click: step(1) }, text: 'next ›' }));
      if (pos >= 0) nav.appendChild(el('span', { class: 'muted', text: 'pair ' + fmtInt(pos + 1) + ' of ' + fmtInt(list.rows.length) + ' in the list' }));
    }
    body.appendChild(nav);
    body.appendChild(el('h2', { id: 'pair-title' }, IS_PAIR_PAGE ? (DATA.title || 'Pair') : 'Pair ' + (i + 1) + ': ', IS_PAIR_PAGE ? null : el('span', { class: 'mono', text: DATA.docs[a] }),
      IS_PAIR_PAGE ? null : ' ↔ ', IS_PAIR_PAGE ? null : el('span', { class: 'mono', text: DATA.docs[b] })));
    const info = el('div', { class: 'pairinfo', id: 'pair-info' });
    info.appendChild(el('span', null, P.score_name + ': ', el('strong', { text: fmtScore(P.score[i]) })));
    if (kindName(i)) info.appendChild(el('span', { class: 'badge ' + kindName(i), text: kindName(i) }));
    if (coverage('a', i) !== null) info.appendChild(el('span', { text: 'coverage A ' + fmtPct(coverage('a', i)) }));
    if (coverage('b', i) !== null) info.appendChild(el('span', { text: 'coverage B ' + fmtPct(coverage('b', i)) }));
    const g = groupOfDoc[a];
    if (g >= 0 && !IS_PAIR_PAGE) info.appendChild(el('a', { href: '#group=' + g, text: GROUP + ' ' + G.ids[g] + ' (' + G.members[g].length + ' documents)' }));
    body.appendChild(info);

    let passages = passagesOf(i);
    let computed = null;
    const haveTexts = ta !== null && tb !== null;
    if (passages === null && haveTexts) {
      computed = verbatimRuns(ta, tb);
      passages = computed.runs;
    }
    const stats = el('div', { class: 'pairinfo muted', id: 'pair-stats' });
    if (computed) {
      stats.appendChild(el('span', { text: fmtInt(computed.runs.length) + ' verbatim runs of ' + MIN_RUN + '+ words (word-level diff computed in the browser); ' +
        fmtPct(computed.matched / Math.max(1, computed.wordsA)) + ' of A\'s ' + fmtInt(computed.wordsA) + ' words and ' +
        fmtPct(computed.matched / Math.max(1, computed.wordsB)) + ' of B\'s ' + fmtInt(computed.wordsB) + ' words are in them' }));
    } else if (passages) {
      const nv = passages.filter((q) => q[5] === 0).length;
      stats.appendChild(el('span', { text: passages.length ? fmtInt(passages.length) + ' aligned passages: ' + fmtInt(nv) + ' verbatim, ' + fmtInt(passages.length - nv) + ' reworded' : 'No aligned passages.' }));
    }
    body.appendChild(stats);
    body.appendChild(el('div', { class: 'legend' },
      el('span', { class: 'sw pass c0', text: 'verbatim' }),
      el('span', { class: 'sw pass rew c0', text: 'reworded' }),
      el('span', { text: '(one colour per passage, the same on both sides; click one to find its match)' }),
      el('span', { class: 'sw add', text: 'only on this side' }),
      el('span', { class: 'sw bp', text: 'boilerplate' })));

    const sides = el('div', { class: 'sides' });
    const boxes = {};
    for (const [side, d, t] of [['a', a, ta], ['b', b, tb]]) {
      const box = el('div', { class: 'doc', id: 'doc-' + side, tabindex: 0, 'aria-label': 'document ' + side.toUpperCase() });
      boxes[side] = box;
      sides.appendChild(el('div', { class: 'side' },
        el('h3', { title: DATA.docs[d] }, side.toUpperCase() + ': ', el('span', { class: 'mono', text: DATA.docs[d] }),
          el('span', { class: 'muted', text: t === null ? '' : ' · ' + fmtInt(DATA.lengths[d]) + ' characters' })),
        box));
      if (t === null) {
        box.classList.add('unavailable');
        box.textContent = 'Text unavailable: the document was not found in the inputs when the report was built.';
      }
    }
    body.appendChild(sides);
    const list = passages || [];
    // Additions can be told only when passages are known (given, or computed from both texts).
    const marks = computed !== null || passagesOf(i) !== null;
    for (const [side, d, t, o] of [['a', a, ta, 0], ['b', b, tb, 2]]) {
      if (t === null) continue;
      const conv = computed ? (x) => x : cpToUtf16(t);
      const spans = list.map((q, p) => ({ s: conv(q[o]), e: conv(q[o + 1]), p, kind: q[5] }));
      const bp = (DATA.doc_boilerplate[d] || []).map(([s, e]) => [conv(s), conv(e)]);
      renderDoc(boxes[side], t, spans, bp, marks);
    }
    for (const [side, other] of [['a', 'b'], ['b', 'a']]) {
      const box = boxes[side];
      box.addEventListener('click', (e) => {
        const t = e.target.closest('[data-p]');
        if (!t) return;
        scrollDocTo(boxes[other], t.dataset.p);
        flashPassage(t.dataset.p);
      });
      box.addEventListener('mouseover', (e) => {
        const t = e.target.closest('[data-p]');
        document.querySelectorAll('#view-pair .hover').forEach((n) => n.classList.remove('hover'));
        if (t) document.querySelectorAll('#view-pair [data-p="' + Number(t.dataset.p) + '"]').forEach((n) => n.classList.add('hover'));
      });
    }
    if (list.length) {
      const table = el('table', null, el('tr', null, ['#', 'kind', 'A', 'B', 'score'].map((h) => el('th', { text: h }))));
      list.slice(0, 5000).forEach((q, p) => {
        table.appendChild(el('tr', { class: 'prow', dataset: { p: String(p) }, on: { click: () => {
          scrollDocTo(boxes.a, p); scrollDocTo(boxes.b, p); flashPassage(p);
        } } },
        el('td', { text: p + 1 }), el('td', null, el('span', { class: 'sw pass c' + (p % 12) + (q[5] === 0 ? '' : ' rew'), text: q[5] === 0 ? 'verbatim' : 'reworded' })),
        el('td', { class: 'mono', text: q[0] + '–' + q[1] }), el('td', { class: 'mono', text: q[2] + '–' + q[3] }),
        el('td', { text: computed ? q[4] + ' words' : fmtScore(q[4]) })));
      });
      body.appendChild(el('details', { class: 'passages' }, el('summary', { text: 'Passages (' + (computed ? 'UTF-16' : 'code point') + ' offsets)' }), table));
    }
    window.scrollTo(0, 0);
  }

  // ---------------------------------------------------------------- start
  window.__overlap = { data: DATA, verbatimRuns, texts, readyAt: null, initMs: null };
  if (IS_PAIR_PAGE) {
    tabs.hidden = true;
    addView('pair', null, buildPairShell);
  } else {
    addView('summary', 'Summary', buildSummary);
    if (G.ids.length || G.size_counts.length) addView('groups', GROUPS[0].toUpperCase() + GROUPS.slice(1) + ' (' + fmtInt(G.ids.length) + ')', buildGroups);
    addView('pairs', 'Pairs (' + fmtInt(NPAIRS) + ')', buildPairs);
    if (DATA.boilerplate.length) addView('boilerplate', 'Boilerplate (' + fmtInt(DATA.boilerplate.length) + ')', buildBoilerplate);
    addView('pair', null, buildPairShell);
  }
  window.addEventListener('hashchange', route);
  route();
})();
