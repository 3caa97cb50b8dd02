// The live topology page: polls the worker's query API, draws what the filters and the chosen
// neighbourhood select, and keeps node positions across refreshes so the picture stays still.

import cytoscape from './cytoscape.esm.min.mjs';
import { api, setToken, unavailableReason } from './api.js';
import * as model from './graph_model.js';
import { graphStyle } from './graph_style.js';
import * as panels from './panels.js';

// fCoSE lays out compound nodes (zones, clusters) well; without it the built-in cose serves.
const layoutName = window.cytoscapeFcose ? 'fcose' : 'cose';
if (window.cytoscapeFcose) cytoscape.use(window.cytoscapeFcose);

const params = new URLSearchParams(location.search);
const number = (name, fallback, low, high) => {
  const value = Number(params.get(name));
  return Number.isFinite(value) && value >= low && value <= high && params.has(name) ? value : fallback;
};
const settings = {
  refreshSeconds: number('refresh', 5, 1, 3600),
  drawLimit: number('draw', 400, 10, 5000),
  limit: number('limit', 100000, 1, 100000),
  overlayEvery: 6, // refreshes between two reads of the overlay's annotations
};

const $ = (id) => document.getElementById(id);
const controls = {
  search: $('search'),
  zone: $('zone'),
  kind: $('kind'),
  annotation: $('annotation'),
  groupBy: $('group-by'),
  colourBy: $('colour-by'),
  hops: $('hops'),
  direction: $('direction'),
  clustered: $('clustered'),
  overlay: $('overlay'),
  failZone: $('fail-zone'),
};

const state = {
  topology: null,
  anomalies: { anomalies: [], total: 0 },
  clusters: { clusters: [] },
  unattributed: { unattributed: [], total: 0 },
  membership: model.clusterMembership([]),
  overlays: null,
  annotations: null,
  overlayNote: 'not read yet',
  plan: null,
  planNote: '',
  shownWave: null,
  focus: null, // { name, near, auto }
  edge: null,
  view: 'graph',
  drawn: { mode: 'none', names: new Set(), context: new Set() },
  shape: '',
  refreshes: 0,
  readSeconds: null,
  error: null,
  updatedAt: null,
};

const cy = cytoscape({
  container: $('graph'),
  style: graphStyle,
  minZoom: 0.05,
  maxZoom: 4,
  pixelRatio: 1,
  textureOnViewport: true,
  hideEdgesOnViewport: true,
});

// --- reading the worker ------------------------------------------------------------------

async function readGraph() {
  const clustered = controls.clustered.checked;
  const limit = settings.limit;
  const [topology, anomalies, clusters, unattributed] = await Promise.all([
    api.topology({ clustered, limit }),
    api.anomalies({ limit: 1000 }),
    api.clusters({ limit: 1000 }),
    api.unattributed({ limit: 1000 }),
  ]);
  Object.assign(state, { topology, anomalies, clusters, unattributed });
  state.membership = model.clusterMembership(clusters.clusters);
  fillZones(model.zonesOf(topology.nodes));
}

async function readOverlay() {
  try {
    if (state.overlays === null) {
      state.overlays = (await api.overlays()).overlays ?? [];
      fillOverlays(state.overlays);
    }
    const name = controls.overlay.value;
    if (!name) {
      state.annotations = null;
      state.overlayNote = 'no overlay is registered: colour by criticality and annotation filters need one (meeseeks overlay register)';
      return;
    }
    state.annotations = (await api.nodeAnnotations(name)).annotations ?? {};
    state.overlayNote = `overlay ${name}: ${Object.keys(state.annotations).length} annotated nodes`;
  } catch (error) {
    state.annotations = null;
    state.overlays = null;
    state.overlayNote = `${unavailableReason(error, 'the overlay API')}; colour by criticality and annotation filters are off`;
  }
}

async function readFocus() {
  if (!state.focus) return;
  try {
    state.focus.near = await api.neighbours({
      node: state.focus.name,
      direction: controls.direction.value,
      hops: controls.hops.value,
      clustered: controls.clustered.checked,
      limit: 1000,
    });
  } catch (error) {
    state.error = `${state.focus.name}: ${error.message}`;
    state.focus = null;
  }
}

let timer = null;
let running = null;

async function refresh() {
  clearTimeout(timer);
  if (running) return running;
  running = (async () => {
    try {
      const started = performance.now();
      await readGraph();
      state.readSeconds = (performance.now() - started) / 1000;
      state.error = null;
      if (state.refreshes % settings.overlayEvery === 0) await readOverlay();
      const filter = currentFilter();
      if (!state.focus && !filter.active && state.view === 'graph' &&
          state.topology.nodes.length > settings.drawLimit) {
        const start = model.startingNode(state.topology, state.anomalies.anomalies);
        if (start) state.focus = { name: start, near: null, auto: true };
      }
      await readFocus();
      state.updatedAt = new Date();
      state.refreshes += 1;
      $('token-form').hidden = true;
    } catch (error) {
      state.error = `the worker did not answer: ${error.message}; retrying`;
      if (error.status === 401) {
        state.error = `the worker wants its API token: ${error.message}`;
        $('token-form').hidden = false;
      }
    }
    render();
    document.body.dataset.refreshes = String(state.refreshes);
  })();
  try {
    await running;
  } finally {
    running = null;
    timer = setTimeout(refresh, refreshDelay() * 1000);
  }
}

// The refresh interval asked for, longer when the worker takes long to answer: a large graph
// costs the worker a noticeable share of a core per answer, and a page must not hog it.
function refreshDelay() {
  return Math.max(settings.refreshSeconds, Math.ceil(10 * (state.readSeconds ?? 0)));
}

// --- what to draw --------------------------------------------------------------------------

function currentFilter() {
  let annotation = null;
  controls.annotation.setCustomValidity('');
  try {
    annotation = model.parseAnnotationFilter(controls.annotation.value);
  } catch (error) {
    controls.annotation.setCustomValidity(error.message);
    $('annotation-error').textContent = error.message;
  }
  if (annotation === null || controls.annotation.validity.valid) $('annotation-error').textContent = '';
  if (annotation && !state.annotations) {
    $('annotation-error').textContent = 'no overlay annotations to filter on';
  }
  return model.nodeFilter(
    {
      search: controls.search.value,
      zone: controls.zone.value,
      kind: controls.kind.value,
      annotation,
    },
    state.annotations,
    state.membership.membersOf,
  );
}

function chooseView() {
  const topology = state.topology;
  if (state.view === 'zones') return { elements: model.zoneOverview(topology), mode: 'zones' };
  const options = {
    groupBy: controls.groupBy.value,
    colourBy: controls.colourBy.value,
    annotations: state.annotations,
    membership: state.membership,
    anomalies: state.anomalies.anomalies,
    plan: state.plan ? state.plan.waves : null,
  };
  if (state.plan && $('wave-layout').checked) {
    const known = new Set(topology.nodes.map((n) => n.name));
    const names = new Set([...state.plan.waves.waveOf.keys()].filter((name) => known.has(name)));
    state.drawn = { mode: 'waves', names, context: new Set() };
    return { elements: model.buildElements(topology, state.drawn, { ...options, groupBy: 'none' }), mode: 'waves' };
  }
  const filter = currentFilter();
  let drawn = model.chooseDrawn(topology, filter, settings.drawLimit);
  let source = topology;
  const near = state.focus?.near;
  if (near) {
    const around = model.neighbourhoodTopology(near);
    const inside = around.nodes.every((n) => drawn.names.has(n.name) || drawn.context.has(n.name));
    if (!inside) {
      source = around;
      drawn = { mode: 'neighbourhood', names: new Set(around.nodes.map((n) => n.name)), context: new Set() };
    }
  }
  state.drawn = drawn;
  return { elements: model.buildElements(source, drawn, options), mode: drawn.mode };
}

function render() {
  renderStatus();
  renderPanels();
  if (!state.topology) return;
  const { elements, mode } = chooseView();
  const fresh = applyElements(elements);
  highlight();
  if (fresh !== null) runLayout(mode, fresh);
  const drawnNodes = cy.nodes().filter((n) => !n.data('isGroup')).length;
  $('graph').dataset.drawnNodes = String(drawnNodes);
  $('graph').dataset.mode = mode;
  $('drawn').textContent = describeDrawn(mode, drawnNodes);
  document.body.dataset.loaded = '1';
}

// Replace the drawn elements, keeping the positions of nodes drawn before. Returns null for a
// data-only update (same nodes, same groups), else the share of nodes that are new.
function applyElements(elements) {
  const shape = elements
    .map((e) => `${e.data.id}<${e.data.parent ?? ''}`)
    .sort()
    .join('\n');
  if (shape === state.shape) {
    cy.batch(() => {
      for (const element of elements) {
        const drawn = cy.getElementById(element.data.id);
        drawn.data(element.data);
        drawn.classes(element.classes);
      }
    });
    return null;
  }
  const positions = new Map(cy.nodes().map((n) => [n.id(), { ...n.position() }]));
  cy.batch(() => {
    cy.elements().remove();
    cy.add(elements.map((e) => (positions.has(e.data.id) ? { ...e, position: positions.get(e.data.id) } : e)));
  });
  state.shape = shape;
  const nodes = elements.filter((e) => e.group === 'nodes' && !e.data.isGroup);
  return nodes.filter((e) => !positions.has(e.data.id)).length / Math.max(1, nodes.length);
}

// A fresh layout when most nodes are new; otherwise one that starts from where they are.
function runLayout(mode, fresh) {
  const count = cy.nodes().length;
  if (mode === 'waves') {
    cy.layout({ name: 'preset', positions: wavePositions(), fit: true, padding: 40 }).run();
    return;
  }
  const options =
    mode === 'zones'
      ? { name: 'circle', animate: false, fit: true, padding: 40 }
      : {
          name: layoutName,
          animate: false,
          fit: true,
          padding: 30,
          randomize: fresh > 0.5,
          quality: count > 1500 ? 'draft' : 'default',
          nodeDimensionsIncludeLabels: true,
          idealEdgeLength: () => 80,
          nodeRepulsion: () => 6000,
          nestingFactor: 0.1,
          gravity: 0.25,
          numIter: 2500,
          tile: true,
          packComponents: true,
        };
  cy.layout(options).run();
  // A handful of nodes fitted to the canvas would be drawn huge.
  if (cy.zoom() > 1.6) {
    cy.zoom(1.6);
    cy.center();
  }
}

// Bring-up waves as columns, left to right: what starts first stands on the left.
function wavePositions() {
  const positions = {};
  for (const { wave, services } of state.plan.waves.waves) {
    services.forEach((name, row) => {
      positions[name] = { x: wave * 260, y: row * 70 };
    });
  }
  return positions;
}

function highlight() {
  const near = state.focus?.near;
  cy.batch(() => {
    cy.elements().removeClass('focus near near-node faded wave-shown');
    if (state.shownWave !== null) {
      cy.nodes().filter((n) => n.data('wave') === state.shownWave).addClass('wave-shown');
    }
    if (state.plan && !near) {
      cy.edges().filter((e) => !e.source().hasClass('in-plan') || !e.target().hasClass('in-plan')).addClass('faded');
    }
    if (!near) return;
    const names = new Set([near.node.name, ...near.downstream.map((n) => n.name), ...near.upstream.map((n) => n.name)]);
    const edges = new Set(near.edges.map((e) => `edge:${e.client}->${e.server}`));
    cy.nodes().forEach((node) => {
      if (node.data('isGroup')) return;
      if (node.id() === near.node.name) node.addClass('focus');
      else if (names.has(node.id())) node.addClass('near-node');
      else node.addClass('faded');
    });
    cy.edges().forEach((edge) => edge.addClass(edges.has(edge.id()) ? 'near' : 'faded'));
  });
}

function describeDrawn(mode, count) {
  const total = state.topology?.total_nodes ?? 0;
  switch (mode) {
    case 'all':
      return `all ${count} nodes`;
    case 'filtered':
      return `${state.drawn.matched} matching of ${total} nodes` +
        (state.drawn.context.size ? ` (+${state.drawn.context.size} neighbours, faint)` : '') +
        (state.drawn.matched > settings.drawLimit ? `; first ${settings.drawLimit} drawn` : '');
    case 'neighbourhood':
      return `neighbourhood of ${state.focus.name}: ${count} of ${total} nodes` +
        (state.focus.auto ? ' (too many to draw at once: search, pick a zone or click a node)' : '');
    case 'waves':
      return `zone ${state.plan.zone} fails: ${count} services to bring up, in waves from left to right`;
    case 'zones':
      return `${total} nodes grouped by zone: click a group to open it`;
    default:
      return `${total} nodes: search or pick a zone`;
  }
}

// --- panels and controls -------------------------------------------------------------------

function renderStatus() {
  const parts = [];
  if (state.topology) {
    const feed = state.topology.feed ?? {};
    parts.push(`${state.topology.total_nodes} nodes, ${state.topology.total_edges} edges`);
    parts.push(feed.ready ? 'live' : 'catching up');
  }
  if (state.updatedAt) {
    parts.push(`updated ${state.updatedAt.toLocaleTimeString()}, every ${refreshDelay()} s`);
  }
  $('status').textContent = parts.join(' · ');
  $('error').textContent = state.error ?? '';
}

const pick = (name) => setFocus(name, false);

function renderPanels() {
  const near = state.focus?.near;
  if (near) {
    const note = model.annotationOf(near.node.name, state.annotations, state.membership.membersOf);
    panels.fill($('selection-body'), panels.selectionPanel(near, note, { onPick: pick, direction: controls.direction.value }));
  } else if (state.edge) {
    panels.fill($('selection-body'), panels.edgePanel(state.edge));
  } else {
    panels.fill($('selection-body'), panels.h('p', { class: 'empty' }, 'click a node to see what it depends on and what depends on it'));
  }
  $('anomaly-count').textContent = String(state.anomalies.total ?? 0);
  panels.fill($('anomalies-body'), panels.anomalyList(state.anomalies.anomalies, state.anomalies.total, pick));
  panels.fill($('unattributed-body'), panels.unattributedList(state.unattributed.unattributed, state.unattributed.total, pick));
  panels.fill($('clusters-body'), panels.clusterList(state.clusters.clusters, pick));
  if (state.plan) {
    panels.fill($('plan-body'), panels.planPanel(state.plan.answer, state.plan.waves.waves, showWave));
  } else {
    panels.fill($('plan-body'), state.planNote ? panels.h('p', { class: 'note' }, state.planNote) : null);
  }
  $('overlay-note').textContent = state.overlayNote;
  controls.overlay.hidden = controls.overlay.options.length === 0;
  panels.fill($('legend-colours'), colourLegend());
  const criticality = controls.colourBy.querySelector('option[value="criticality"]');
  criticality.disabled = !state.annotations;
  if (!state.annotations && controls.colourBy.value === 'criticality') controls.colourBy.value = 'zone';
}

function colourLegend() {
  if (controls.colourBy.value === 'criticality' && state.annotations) {
    return [...Object.entries(model.CRITICALITY_COLOURS), ['none', model.criticalityColour(null)]]
      .map(([level, colour]) => panels.h('span', { class: 'swatch' }, panels.h('i', { style: `background:${colour}` }), level));
  }
  const zones = state.topology ? model.zonesOf(state.topology.nodes) : [];
  return [...zones.map((z) => [`zone ${z}`, model.zoneColour(z, zones)]), ['no zone', model.zoneColour(null, zones)]]
    .map(([label, colour]) => panels.h('span', { class: 'swatch' }, panels.h('i', { style: `background:${colour}` }), label));
}

function fillZones(zones) {
  for (const select of [controls.zone, controls.failZone]) {
    const have = [...select.options].map((o) => o.value).filter(Boolean);
    if (have.join() === zones.join()) continue;
    const chosen = select.value;
    const first = select.options[0]?.value === '' ? [select.options[0]] : [];
    select.replaceChildren(...first, ...zones.map((z) => panels.h('option', { value: z }, z)));
    select.value = zones.includes(chosen) ? chosen : (first.length ? '' : zones[0] ?? '');
  }
}

function fillOverlays(overlays) {
  const names = overlays.map((o) => o.name ?? o.overlay).filter(Boolean);
  const chosen = controls.overlay.value || (names.includes('bcp') ? 'bcp' : names[0] ?? '');
  controls.overlay.replaceChildren(...names.map((n) => panels.h('option', { value: n }, n)));
  controls.overlay.value = chosen;
}

async function setFocus(name, auto) {
  state.view = 'graph';
  state.edge = null;
  state.focus = { name, near: null, auto };
  await readFocus();
  render();
  const node = cy.getElementById(name);
  if (node.nonempty()) {
    const view = cy.extent();
    const { x, y } = node.position();
    if (x < view.x1 || x > view.x2 || y < view.y1 || y > view.y2) cy.center(node);
  }
}

async function planZone() {
  const zone = controls.failZone.value;
  if (!zone) return;
  $('plan-button').disabled = true;
  try {
    const answer = await api.bcpPlan(zone);
    state.plan = { zone, answer, waves: model.planWaves(answer) };
    state.planNote = '';
  } catch (error) {
    state.plan = null;
    state.planNote = unavailableReason(error, 'the BCP planner');
  } finally {
    $('plan-button').disabled = false;
  }
  state.shownWave = null;
  render();
}

function showWave(wave) {
  state.shownWave = state.shownWave === wave ? null : wave;
  highlight();
}

cy.on('tap', 'node', (event) => {
  const node = event.target;
  if (node.data('overview')) {
    const id = node.id();
    state.view = 'graph';
    if (id.startsWith('group:zone:')) controls.zone.value = id.slice('group:zone:'.length);
    else if (id.startsWith('group:kind:')) controls.kind.value = id.slice('group:kind:'.length);
    render();
    return;
  }
  if (node.data('isGroup')) return;
  setFocus(node.id(), false);
});
cy.on('tap', 'edge', (event) => {
  if (event.target.hasClass('overview')) return;
  state.focus = null;
  state.edge = { ...event.target.data() };
  render();
});
cy.on('tap', (event) => {
  if (event.target !== cy) return;
  state.focus = null;
  state.edge = null;
  render();
});

let typing = null;
controls.search.addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(() => {
    if (state.focus?.auto) state.focus = null;
    state.view = 'graph';
    render();
  }, 200);
});
for (const control of [controls.zone, controls.kind, controls.annotation, controls.groupBy, controls.colourBy]) {
  control.addEventListener('change', () => {
    if (state.focus?.auto) state.focus = null;
    state.view = 'graph';
    render();
  });
}
for (const control of [controls.hops, controls.direction]) {
  control.addEventListener('change', async () => {
    await readFocus();
    render();
  });
}
controls.clustered.addEventListener('change', () => {
  state.shape = '';
  refresh();
});
controls.overlay.addEventListener('change', async () => {
  await readOverlay();
  render();
});
$('plan-button').addEventListener('click', planZone);
$('wave-layout').addEventListener('change', () => render());
$('clear-plan').addEventListener('click', () => {
  state.plan = null;
  state.planNote = '';
  state.shownWave = null;
  render();
});
$('zones-button').addEventListener('click', () => {
  state.focus = null;
  state.view = 'zones';
  render();
});
$('reset').addEventListener('click', () => {
  for (const input of [controls.search, controls.annotation]) input.value = '';
  controls.zone.value = '';
  controls.kind.value = '';
  state.focus = null;
  state.edge = null;
  state.view = 'graph';
  refresh();
});
$('controls').addEventListener('submit', (event) => event.preventDefault());
$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  setToken($('token').value.trim());
  $('token').value = '';
  state.overlays = null;
  state.refreshes = 0; // read the overlay again too
  refresh();
});

// For the browser test and for poking at the page from the console.
window.meeseeks = { cy, state, refresh, setFocus };
refresh();
