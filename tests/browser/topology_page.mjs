// Drives the live topology page in a real headless Chromium (Debian's, never a downloaded one):
// the page loads the estate, a search narrows the graph, a click on a service shows its
// dependencies. Run by tests/integration/test_topology_page.py, which starts the worker and
// passes what the page must show as JSON in PAGE_TEST; prints what it saw as one JSON line.
//
//   PAGE_TEST='{"url": ..., "search": ..., "matches": [...], "service": ..., ...}' \
//   node tests/browser/topology_page.mjs

import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const spec = JSON.parse(process.env.PAGE_TEST ?? '{}');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const timeout = 30_000;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const sameList = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

const drawnNames = (page, withClass) =>
  page.evaluate((cls) => {
    const nodes = window.meeseeks.cy.nodes().filter((n) => !n.data('isGroup'));
    return (cls ? nodes.filter((n) => n.hasClass(cls)) : nodes).map((n) => n.id());
  }, withClass);

async function clickNode(page, name) {
  // A real mouse click on the canvas, where Cytoscape drew the node.
  const point = await page.evaluate((id) => {
    const node = window.meeseeks.cy.getElementById(id);
    return node.nonempty() ? node.renderedPosition() : null;
  }, name);
  check(point, `${name} is not drawn`);
  const box = await page.locator('#graph').boundingBox();
  await page.mouse.click(box.x + point.x, box.y + point.y);
}

async function main() {
  mkdirSync(spec.artifacts, { recursive: true });
  const browser = await chromium.launch({ executablePath, headless: true });
  const problems = [];
  const seen = {};
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    page.setDefaultTimeout(timeout);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });

    // 1. The page loads the whole estate.
    await page.goto(spec.url);
    await page.waitForFunction(
      (total) => document.getElementById('graph').dataset.drawnNodes === String(total),
      spec.total_nodes,
    );
    seen.mode = await page.locator('#graph').getAttribute('data-mode');
    seen.drawn = (await drawnNames(page)).length;
    seen.status = await page.textContent('#status');
    seen.anomaly_count = Number(await page.textContent('#anomaly-count'));
    seen.unattributed_first = await page
      .locator('#unattributed-body li button')
      .first()
      .getAttribute('data-name');
    check(seen.mode === 'all', `the whole graph is not drawn: mode ${seen.mode}`);
    check(seen.status.includes(`${spec.total_nodes} nodes`), `status says ${seen.status}`);
    check(seen.anomaly_count === spec.anomalies, `${seen.anomaly_count} anomalies listed`);
    await page.screenshot({ path: join(spec.artifacts, '1-whole-estate.png') });

    // 2. A search narrows the graph to the matches (and their neighbours, drawn faint).
    await page.locator('#search').pressSequentially(spec.search, { delay: 20 });
    // A refresh while typing draws the matches of a prefix first: wait for the whole word's.
    await page.waitForFunction(
      (count) => document.getElementById('drawn').textContent.startsWith(`${count} matching`),
      spec.matches.length,
    );
    const all = await drawnNames(page);
    const context = await drawnNames(page, 'context');
    seen.matches = all.filter((name) => !context.includes(name));
    seen.context = context;
    seen.drawn_after_search = all.length;
    check(sameList(seen.matches, spec.matches), `search drew ${seen.matches}`);
    check(sameList(context, spec.context), `search context ${context}`);
    check(all.length < spec.total_nodes, 'the search did not narrow the graph');
    await page.screenshot({ path: join(spec.artifacts, '2-search.png') });

    // 3. A click on a service shows what it depends on, and what depends on it.
    await clickNode(page, spec.service);
    await page.waitForFunction(
      (name) => document.querySelector('.selected-name')?.textContent === name,
      spec.service,
    );
    await page.waitForSelector('#selection-body ol.downstream li');
    const listed = (selector) =>
      page.$$eval(selector, (items) => items.map((item) => item.dataset.name));
    seen.downstream = await listed('#selection-body ol.downstream li');
    seen.upstream = await listed('#selection-body ol.upstream li');
    seen.focus = await drawnNames(page, 'focus');
    seen.highlighted_edges = await page.evaluate(() => window.meeseeks.cy.edges('.near').length);
    check(sameList(seen.downstream, spec.downstream), `dependencies listed: ${seen.downstream}`);
    check(sameList(seen.upstream, spec.upstream), `dependents listed: ${seen.upstream}`);
    check(sameList(seen.focus, [spec.service]), `focus on ${seen.focus}`);
    check(
      seen.highlighted_edges === spec.downstream.length + spec.upstream.length,
      `${seen.highlighted_edges} edges highlighted`,
    );
    await page.screenshot({ path: join(spec.artifacts, '3-dependencies.png') });

    // 4. A dependency in the list opens its own neighbourhood.
    await page.locator(`#selection-body ol.downstream button[data-name="${spec.downstream[0]}"]`).click();
    await page.waitForFunction(
      (name) => document.querySelector('.selected-name')?.textContent === name,
      spec.downstream[0],
    );
    seen.followed = await page.textContent('.selected-name');

    // 5. The BCP overlay: colour by criticality, filter by an annotation.
    await page.locator('#reset').click();
    await page.waitForFunction(() => document.getElementById('graph').dataset.mode === 'all');
    await page.waitForFunction(
      () => !document.querySelector('#colour-by option[value="criticality"]').disabled,
    );
    await page.locator('#colour-by').selectOption('criticality');
    await page.locator('#annotation').fill('criticality=P0');
    await page.locator('#annotation').dispatchEvent('change');
    await page.waitForFunction(() => document.getElementById('graph').dataset.mode === 'filtered');
    const critical = await drawnNames(page);
    const faint = await drawnNames(page, 'context');
    seen.p0 = critical.filter((name) => !faint.includes(name));
    seen.p0_colour = await page.evaluate(
      (id) => window.meeseeks.cy.getElementById(id).data('colour'),
      spec.service,
    );
    check(sameList(seen.p0, spec.p0), `criticality=P0 drew ${seen.p0}`);
    check(seen.p0_colour === spec.p0_colour, `${spec.service} is coloured ${seen.p0_colour}`);
    await page.screenshot({ path: join(spec.artifacts, '4-criticality.png') });

    // 6. The BCP plan of a zone failure, as waves.
    await page.locator('#annotation').fill('');
    await page.locator('#annotation').dispatchEvent('change');
    await page.locator('#fail-zone').selectOption(spec.fail_zone);
    await page.locator('#plan-button').click();
    await page.waitForSelector('#plan-body .waves li');
    seen.waves = await page.$$eval('#plan-body .waves li', (items) =>
      items.map((item) => item.textContent.replace(/^wave \d+: /, '').split(', ')),
    );
    check(JSON.stringify(seen.waves) === JSON.stringify(spec.waves), `waves ${JSON.stringify(seen.waves)}`);
    await page.locator('#wave-layout').check();
    await page.waitForFunction(() => document.getElementById('graph').dataset.mode === 'waves');
    seen.wave_nodes = await drawnNames(page);
    seen.wave_labels = await page.evaluate(() =>
      Object.fromEntries(window.meeseeks.cy.nodes().map((n) => [n.id(), n.data('wave')])),
    );
    check(sameList(seen.wave_nodes, spec.waves.flat()), `wave layout drew ${seen.wave_nodes}`);
    await page.screenshot({ path: join(spec.artifacts, '5-plan-waves.png') });
    check(problems.length === 0, problems.join('\n'));
  } finally {
    await browser.close();
  }
  return seen;
}

main().then(
  (seen) => {
    process.stdout.write(`${JSON.stringify(seen)}\n`);
  },
  (error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  },
);
