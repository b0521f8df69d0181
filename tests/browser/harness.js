// Shared helpers of the browser tests: the real `overlap` binary, a headless Chromium that may not
// reach the network, and pages that record dialogs, script errors and network attempts.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { execFileSync } = require('node:child_process');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'target', 'release', 'overlap');
const DATA = path.join(ROOT, '..', 'shared', 'data');
const OUT = path.join(ROOT, 'target', 'browser-tests');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function checkPrerequisites() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}; install it with ` +
      '`sudo apt-get install -y chromium` (Debian/Ubuntu) or set CHROMIUM_PATH');
  }
  if (!fs.existsSync(BIN)) {
    throw new Error(`${BIN} not found; build it first with \`cargo build --release\``);
  }
}

/** Run the overlap binary from the repository root; returns {stdout, stderr}; throws on failure. */
function overlap(args, { cwd = ROOT } = {}) {
  try {
    const stdout = execFileSync(BIN, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
    return { stdout };
  } catch (e) {
    throw new Error(`overlap ${args.join(' ')} failed (exit ${e.status}):\n${e.stderr}`);
  }
}

function overlapHelp(...sub) {
  return overlap([...sub, '--help']).stdout;
}

/** An empty folder under target/browser-tests. */
function freshDir(name) {
  const dir = path.join(OUT, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Relative path from the repository root, with forward slashes (as the CLI is given paths). */
function rel(p) {
  return path.relative(ROOT, p).split(path.sep).join('/');
}

function readJsonl(file) {
  let text = fs.readFileSync(file);
  if (file.endsWith('.gz')) text = zlib.gunzipSync(text);
  return text.toString('utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

function writeJsonl(file, records) {
  fs.writeFileSync(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
}

/** A Chromium with a fresh profile; every request that is not for a file: URL is recorded and aborted. */
async function launch() {
  checkPrerequisites();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'overlap-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
  });
  const network = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    network.push(url);
    return route.abort();
  });
  return {
    context,
    network,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Open `file` (with an optional #hash) and wait until the page says it is ready. */
async function openReport(browser, file, hash = '') {
  const page = await browser.context.newPage();
  const dialogs = [];
  const errors = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const url = 'file://' + file + (hash ? '#' + hash : '');
  await page.goto(url, { waitUntil: 'load', timeout: 120000 });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  return { page, dialogs, errors, url };
}

async function screenshot(page, dir, name) {
  await page.screenshot({ path: path.join(dir, name + '.png') });
}

/** Text of the cells of the rendered rows of a virtual table: [[cell, ...], ...] in screen order. */
async function visibleRows(page, scope) {
  return page.$$eval(scope + ' .vrow', (rows) => rows
    .map((r) => ({ top: parseFloat(r.style.top), cells: [...r.children].map((c) => c.textContent) }))
    .sort((x, y) => x.top - y.top)
    .map((r) => r.cells));
}

/** Words of a text, compared as the page compares them. */
function words(text) {
  return (text.match(/[\p{L}\p{N}\p{M}]+(?:['’.,][\p{L}\p{N}\p{M}]+)*/gu) || []).map((w) => w.normalize('NFKC').toLowerCase());
}

module.exports = {
  ROOT, BIN, DATA, OUT, checkPrerequisites, overlap, overlapHelp, freshDir, rel, readJsonl, writeJsonl,
  launch, openReport, screenshot, visibleRows, words,
};
