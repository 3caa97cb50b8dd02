// What to draw: pure functions from the query API's answers to Cytoscape elements.
// No DOM and no fetches here, so the node test runner checks them with literal answers.

export const KIND_LABELS = {
  service: 'services',
  cluster: 'data-store clusters',
  unattributed: 'unattributed addresses',
};

const ZONE_COLOURS = ['#4e79a7', '#59a14f', '#b07aa1', '#f28e2b', '#76b7b2', '#edc948', '#9c755f'];
const NO_ZONE_COLOUR = '#9aa0a6';
export const CRITICALITY_COLOURS = { P0: '#d62728', P1: '#ff7f0e', P2: '#e6c229', P3: '#8fb3d9' };
const UNANNOTATED_COLOUR = '#d0d4d8';

export function zoneOf(node) {
  return typeof node.zone === 'string' && node.zone !== '' ? node.zone : null;
}

export function zonesOf(nodes) {
  return [...new Set(nodes.map(zoneOf).filter((zone) => zone !== null))].sort();
}

export function zoneColour(zone, zones) {
  const index = zones.indexOf(zone);
  return index < 0 ? NO_ZONE_COLOUR : ZONE_COLOURS[index % ZONE_COLOURS.length];
}

export function criticalityColour(level) {
  return CRITICALITY_COLOURS[level] ?? UNANNOTATED_COLOUR;
}

// Connections per second: the last closed window's rate, or, before any window has closed,
// the edge's attempts over its life so far (at least a minute).
export function edgeRate(edge) {
  if (typeof edge.rate === 'number' && Number.isFinite(edge.rate)) return edge.rate;
  const span = Math.max(60, (edge.last_seen ?? 0) - (edge.first_seen ?? 0));
  return (edge.attempts ?? 0) / span;
}

// 1 to 10 pixels on a log scale of the rate relative to the busiest drawn edge.
export function edgeWidth(rate, maxRate) {
  if (!(rate > 0) || !(maxRate > 0)) return 1;
  return 1 + 9 * Math.log10(1 + (9 * Math.min(rate, maxRate)) / maxRate);
}

// One drawn edge per (client, server): ports listed, counts and rates summed.
export function mergePairs(edges) {
  const pairs = new Map();
  for (const edge of edges) {
    const id = `edge:${edge.client}->${edge.server}`;
    let pair = pairs.get(id);
    if (!pair) {
      pair = {
        id,
        client: edge.client,
        server: edge.server,
        ports: [],
        attempts: 0,
        answered: 0,
        rate: 0,
        active: false,
        keys: [],
      };
      pairs.set(id, pair);
    }
    pair.ports.push(edge.port);
    pair.attempts += edge.attempts ?? 0;
    pair.answered += edge.answered ?? 0;
    pair.rate += edgeRate(edge);
    pair.active ||= edge.status === 'active';
    pair.keys.push(`${edge.client}|${edge.server}|${edge.port}`);
  }
  for (const pair of pairs.values()) {
    pair.ports.sort((a, b) => a - b);
    pair.answerRatio = pair.attempts ? Math.min(1, pair.answered / pair.attempts) : null;
  }
  return [...pairs.values()];
}

// The overlay's annotation of a node; a folded cluster without its own falls back on its
// member services' (the most critical one), as the BCP planner does.
export function annotationOf(name, annotations, memberNodes) {
  if (!annotations) return null;
  const own = annotations[name];
  if (own) return own;
  const members = (memberNodes?.get(name) ?? []).map((m) => annotations[m]).filter(Boolean);
  if (!members.length) return null;
  return members.reduce((best, note) =>
    levelRank(note.criticality) < levelRank(best.criticality) ? note : best,
  );
}

function levelRank(level) {
  const rank = Object.keys(CRITICALITY_COLOURS).indexOf(level);
  return rank < 0 ? Infinity : rank;
}

// "field=value", "field!=value", "field~text" or "field" (present); list fields match when
// one item does. Throws an Error that says the accepted forms.
export function parseAnnotationFilter(text) {
  const trimmed = (text ?? '').trim();
  if (!trimmed) return null;
  const found = /^([A-Za-z_][\w.-]*)\s*(!=|=|~)?\s*(.*)$/.exec(trimmed);
  if (!found || (found[2] && found[3] === '')) {
    throw new Error(`"${trimmed}": write field=value, field!=value, field~text or field`);
  }
  return { field: found[1], op: found[2] ?? 'present', value: found[3] };
}

export function annotationMatches(note, filter) {
  if (!filter) return true;
  const raw = note ? note[filter.field] : undefined;
  const values = Array.isArray(raw) ? raw.map(String) : raw === undefined ? [] : [String(raw)];
  switch (filter.op) {
    case 'present':
      return values.length > 0;
    case '=':
      return values.includes(filter.value);
    case '!=':
      return !values.includes(filter.value);
    default:
      return values.some((v) => v.toLowerCase().includes(filter.value.toLowerCase()));
  }
}

// The predicate of the page's filters, and whether any is set.
export function nodeFilter({ search, zone, kind, annotation }, annotations, memberNodes) {
  const needle = (search ?? '').trim().toLowerCase();
  const active = Boolean(needle || zone || kind || annotation);
  const test = (node) =>
    (!needle || node.name.toLowerCase().includes(needle)) &&
    (!zone || zoneOf(node) === zone) &&
    (!kind || node.kind === kind) &&
    (!annotation ||
      annotationMatches(annotationOf(node.name, annotations, memberNodes), annotation));
  return { active, test };
}

// Names of the nodes to draw and why. Without filters the whole graph when it is small
// enough; with filters the matches, and their direct neighbours for context while that
// stays under the limit; a graph too large to draw at once gets a neighbourhood first.
export function chooseDrawn(topology, filter, drawLimit) {
  const nodes = topology.nodes;
  if (!filter.active) {
    if (nodes.length <= drawLimit) {
      return { mode: 'all', names: new Set(nodes.map((n) => n.name)), context: new Set() };
    }
    return { mode: 'too-large', names: new Set(), context: new Set() };
  }
  const matched = nodes.filter(filter.test).map((n) => n.name);
  const names = new Set(matched.slice(0, drawLimit));
  const context = new Set();
  for (const edge of topology.edges) {
    if (names.size + context.size >= drawLimit) break;
    if (names.has(edge.client) && !names.has(edge.server)) context.add(edge.server);
    if (names.has(edge.server) && !names.has(edge.client)) context.add(edge.client);
  }
  return { mode: 'filtered', names, context, matched: matched.length };
}

// Where a large graph starts: the node of the most urgent anomaly, else the busiest node.
export function startingNode(topology, anomalies) {
  const known = new Set(topology.nodes.map((n) => n.name));
  for (const anomaly of anomalies ?? []) {
    const name = anomaly.node ?? (anomaly.edge ? anomaly.edge.split('|')[0] : null);
    if (name && known.has(name)) return name;
  }
  const degree = new Map();
  for (const edge of topology.edges) {
    for (const name of [edge.client, edge.server]) degree.set(name, (degree.get(name) ?? 0) + 1);
  }
  let best = null;
  for (const [name, count] of degree) {
    if (best === null || count > best[1] || (count === best[1] && name < best[0])) {
      best = [name, count];
    }
  }
  return best ? best[0] : (topology.nodes[0]?.name ?? null);
}

export function groupOf(node, groupBy, memberOf) {
  if (groupBy === 'zone') {
    const zone = zoneOf(node);
    if (zone !== null) return { id: `group:zone:${zone}`, label: `zone ${zone}` };
    if (node.kind === 'service') return { id: 'group:no-zone', label: 'no zone' };
    return { id: `group:kind:${node.kind}`, label: KIND_LABELS[node.kind] ?? node.kind };
  }
  if (groupBy === 'kind') {
    return { id: `group:kind:${node.kind}`, label: KIND_LABELS[node.kind] ?? node.kind };
  }
  if (groupBy === 'cluster') {
    const cluster = memberOf?.get(node.name);
    return cluster ? { id: `group:${cluster}`, label: cluster.replace(/^cluster:/, '') } : null;
  }
  return null;
}

// Edge keys ("client|server|port") and node names that have an open anomaly.
export function anomalyIndex(anomalies) {
  const edges = new Map();
  const nodes = new Map();
  for (const anomaly of anomalies ?? []) {
    if (anomaly.edge) edges.set(anomaly.edge, anomaly);
    if (anomaly.node) nodes.set(anomaly.node, anomaly);
  }
  return { edges, nodes };
}

// Member node -> cluster node, and cluster node -> member nodes, from /topology/clusters/.
export function clusterMembership(clusters) {
  const memberOf = new Map();
  const membersOf = new Map();
  for (const row of clusters ?? []) {
    const members = row.member_nodes ?? [];
    membersOf.set(row.cluster, members);
    for (const member of members) memberOf.set(member, row.cluster);
  }
  return { memberOf, membersOf };
}

// Cytoscape elements for the drawn nodes and the edges among them.
export function buildElements(topology, drawn, options) {
  const { groupBy, colourBy, annotations, membership, anomalies, plan } = options;
  const zones = zonesOf(topology.nodes);
  const wanted = new Set([...drawn.names, ...drawn.context]);
  const byName = new Map(topology.nodes.map((n) => [n.name, n]));
  for (const name of wanted) {
    if (!byName.has(name)) byName.set(name, { name, kind: kindOfName(name) });
  }
  const flagged = anomalyIndex(anomalies);
  const groups = new Map();
  const elements = [];
  for (const name of wanted) {
    const node = byName.get(name);
    const note = annotationOf(name, annotations, membership?.membersOf);
    const group = groupOf(node, groupBy, membership?.memberOf);
    if (group) groups.set(group.id, group.label);
    const colour =
      colourBy === 'criticality' && annotations
        ? criticalityColour(note?.criticality)
        : zoneColour(zoneOf(node), zones);
    const classes = [node.kind];
    if (drawn.context.has(name)) classes.push('context');
    if (flagged.nodes.has(name)) classes.push('anomalous');
    const wave = plan?.waveOf.get(name);
    if (plan) classes.push(wave ? 'in-plan' : 'not-in-plan');
    elements.push({
      group: 'nodes',
      data: {
        id: name,
        label: wave ? `${shortLabel(node)} · w${wave}` : shortLabel(node),
        kind: node.kind,
        zone: zoneOf(node),
        colour,
        criticality: note?.criticality ?? null,
        wave: wave ?? null,
        ...(group ? { parent: group.id } : {}),
      },
      classes: classes.join(' '),
    });
  }
  for (const [id, label] of groups) {
    elements.push({ group: 'nodes', data: { id, label, isGroup: true }, classes: 'group' });
  }
  // Edges between two context nodes say nothing about the matches: left out.
  const drawnEdge = (e) =>
    wanted.has(e.client) &&
    wanted.has(e.server) &&
    !(drawn.context.has(e.client) && drawn.context.has(e.server));
  const pairs = mergePairs(topology.edges.filter(drawnEdge));
  const maxRate = Math.max(0, ...pairs.map((p) => p.rate));
  for (const pair of pairs) {
    const classes = [pair.active ? 'active' : 'stale'];
    if (pair.keys.some((key) => flagged.edges.has(key))) classes.push('anomalous');
    if (pair.answerRatio !== null && pair.answerRatio < 0.5) classes.push('failing');
    elements.push({
      group: 'edges',
      data: {
        id: pair.id,
        source: pair.client,
        target: pair.server,
        width: edgeWidth(pair.rate, maxRate),
        rate: pair.rate,
        ports: pair.ports.join(','),
        attempts: pair.attempts,
        answered: pair.answered,
      },
      classes: classes.join(' '),
    });
  }
  return elements;
}

export function kindOfName(name) {
  if (name.startsWith('unattributed:')) return 'unattributed';
  if (name.startsWith('cluster:')) return 'cluster';
  return 'service';
}

function shortLabel(node) {
  if (node.kind === 'unattributed') return node.name.slice('unattributed:'.length);
  if (node.kind === 'cluster') return node.name.slice('cluster:'.length);
  return node.name;
}

// A topology answer restricted to one neighbourhood answer's nodes and edges.
export function neighbourhoodTopology(near) {
  const nodes = [near.node, ...near.downstream, ...near.upstream];
  const unique = new Map(nodes.map((n) => [n.name, n]));
  return { nodes: [...unique.values()], edges: near.edges };
}

// Zones (and the nodes without one, by kind) as single nodes, with the traffic between them.
export function zoneOverview(topology) {
  const groupOfName = new Map();
  const counts = new Map();
  for (const node of topology.nodes) {
    const group = groupOf(node, 'zone', null);
    groupOfName.set(node.name, group);
    const entry = counts.get(group.id) ?? { label: group.label, count: 0 };
    entry.count += 1;
    counts.set(group.id, entry);
  }
  const links = new Map();
  for (const edge of topology.edges) {
    const from = groupOfName.get(edge.client);
    const to = groupOfName.get(edge.server);
    if (!from || !to) continue;
    const id = `edge:${from.id}->${to.id}`;
    const link = links.get(id) ?? { id, source: from.id, target: to.id, edges: 0, rate: 0 };
    link.edges += 1;
    link.rate += edgeRate(edge);
    links.set(id, link);
  }
  const maxRate = Math.max(0, ...[...links.values()].map((l) => l.rate));
  return [
    ...[...counts].map(([id, { label, count }]) => ({
      group: 'nodes',
      data: { id, label: `${label} (${count})`, count, overview: true },
      classes: 'overview',
    })),
    ...[...links.values()].map((link) => ({
      group: 'edges',
      data: { ...link, width: edgeWidth(link.rate, maxRate), label: `${link.edges}` },
      classes: 'overview active',
    })),
  ];
}

// Bring-up waves of a /bcp/plan/ answer: service -> wave, and the waves in order.
export function planWaves(plan) {
  const waveOf = new Map();
  const waves = [];
  for (const wave of plan?.bring_up ?? []) {
    const services = [];
    for (const step of wave.steps ?? []) {
      for (const service of step.services ?? []) {
        waveOf.set(service, wave.wave);
        services.push(service);
      }
    }
    waves.push({ wave: wave.wave, services: services.sort() });
  }
  return { waveOf, waves };
}
