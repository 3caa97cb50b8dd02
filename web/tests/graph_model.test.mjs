// The page's pure logic with literal query answers: `npm test --prefix web` (node's runner).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as model from '../src/graph_model.js';

const node = (name, zone, kind = model.kindOfName(name)) => ({ name, kind, ...(zone ? { zone } : {}) });
const edge = (client, server, port, fields = {}) => ({
  client,
  server,
  port,
  attempts: 10,
  answered: 10,
  status: 'active',
  rate: 0.1,
  first_seen: 0,
  last_seen: 600,
  ...fields,
});

const topology = {
  nodes: [
    node('web', 'a'),
    node('api', 'a'),
    node('db', 'b'),
    node('cluster:redis:cache'),
    node('unattributed:10.9.9.9'),
  ],
  edges: [
    edge('web', 'api', 8080, { rate: 1 }),
    edge('web', 'api', 8443, { rate: 0.5, status: 'stale' }),
    edge('api', 'db', 5432),
    edge('api', 'cluster:redis:cache', 6379),
    edge('web', 'unattributed:10.9.9.9', 9999, { answered: 0, rate: null, attempts: 120 }),
  ],
};

test('edge rate falls back on attempts over the edge life before a window closes', () => {
  assert.equal(model.edgeRate({ rate: 0.25 }), 0.25);
  assert.equal(model.edgeRate({ rate: null, attempts: 120, first_seen: 0, last_seen: 600 }), 0.2);
  // At least a minute: a burst of 6 in one second is not 6 per second.
  assert.equal(model.edgeRate({ rate: null, attempts: 6, first_seen: 10, last_seen: 11 }), 0.1);
});

test('edge width grows with rate from 1 to 10 pixels', () => {
  assert.equal(model.edgeWidth(0, 5), 1);
  assert.equal(model.edgeWidth(5, 5), 10);
  assert.equal(model.edgeWidth(50, 5), 10);
  const middle = model.edgeWidth(0.5, 5);
  assert.ok(middle > 1 && middle < 10, `${middle}`);
  assert.equal(model.edgeWidth(1, 0), 1);
});

test('parallel edges on several ports are drawn as one, with summed counts', () => {
  const pairs = model.mergePairs(topology.edges.slice(0, 2));
  assert.equal(pairs.length, 1);
  const [pair] = pairs;
  assert.deepEqual(pair.ports, [8080, 8443]);
  assert.equal(pair.attempts, 20);
  assert.equal(pair.rate, 1.5);
  assert.equal(pair.active, true);
  assert.deepEqual(pair.keys, ['web|api|8080', 'web|api|8443']);
});

test('annotation filters: equality, inequality, substring, presence, lists', () => {
  const note = { criticality: 'P0', flows: ['billing', 'web-shop'] };
  const check = (text) => model.annotationMatches(note, model.parseAnnotationFilter(text));
  assert.equal(check('criticality=P0'), true);
  assert.equal(check('criticality=P1'), false);
  assert.equal(check('criticality!=P1'), true);
  assert.equal(check('flows=billing'), true);
  assert.equal(check('flows~SHOP'), true);
  assert.equal(check('rto'), false);
  assert.equal(check('criticality'), true);
  assert.equal(model.annotationMatches(null, model.parseAnnotationFilter('criticality!=P0')), true);
  assert.equal(model.parseAnnotationFilter('  '), null);
  assert.throws(() => model.parseAnnotationFilter('criticality='), /field=value/);
  assert.throws(() => model.parseAnnotationFilter('=P0'), /field=value/);
});

test('a cluster without its own annotation takes its most critical member', () => {
  const annotations = { 'cache-a': { criticality: 'P2' }, 'cache-b': { criticality: 'P0' } };
  const members = new Map([['cluster:redis:cache', ['cache-a', 'cache-b', 'cache-c']]]);
  assert.equal(model.annotationOf('cluster:redis:cache', annotations, members).criticality, 'P0');
  assert.equal(model.annotationOf('web', annotations, members), null);
  assert.equal(model.annotationOf('web', null, members), null);
});

test('without filters a small graph is drawn whole, a large one not at all', () => {
  const none = model.nodeFilter({}, null, null);
  assert.equal(none.active, false);
  assert.equal(model.chooseDrawn(topology, none, 10).mode, 'all');
  assert.equal(model.chooseDrawn(topology, none, 10).names.size, 5);
  assert.equal(model.chooseDrawn(topology, none, 4).mode, 'too-large');
});

test('a search draws the matches and their direct neighbours as context', () => {
  const filter = model.nodeFilter({ search: 'DB' }, null, null);
  const drawn = model.chooseDrawn(topology, filter, 10);
  assert.equal(drawn.mode, 'filtered');
  assert.deepEqual([...drawn.names], ['db']);
  assert.deepEqual([...drawn.context], ['api']);
  assert.equal(drawn.matched, 1);
  // Context is left out first when the limit is reached.
  const zoneA = model.nodeFilter({ zone: 'a' }, null, null);
  const tight = model.chooseDrawn(topology, zoneA, 2);
  assert.deepEqual([...tight.names], ['web', 'api']);
  assert.equal(tight.context.size, 0);
});

test('filters combine: kind, zone and annotation', () => {
  const annotations = { web: { criticality: 'P0' }, db: { criticality: 'P1' } };
  const critical = model.parseAnnotationFilter('criticality=P0');
  const filter = model.nodeFilter({ annotation: critical, zone: 'a' }, annotations, new Map());
  assert.deepEqual(topology.nodes.filter(filter.test).map((n) => n.name), ['web']);
  const kind = model.nodeFilter({ kind: 'unattributed' }, null, null);
  assert.deepEqual(topology.nodes.filter(kind.test).map((n) => n.name), ['unattributed:10.9.9.9']);
});

test('a large graph starts at the most urgent anomaly, else at the busiest node', () => {
  const anomalies = [{ edge: 'web|api|8080', node: null }, { node: 'db', edge: null }];
  assert.equal(model.startingNode(topology, anomalies), 'web');
  // api has four edges (two to web on two ports), web three.
  assert.equal(model.startingNode(topology, [{ node: 'gone', edge: null }]), 'api');
  assert.equal(model.startingNode({ nodes: [node('solo', 'a')], edges: [] }, []), 'solo');
});

test('elements: compound groups by zone, classes for kind, anomaly, failure and plan', () => {
  const drawn = { names: new Set(topology.nodes.map((n) => n.name)), context: new Set(['db']) };
  const plan = model.planWaves({
    bring_up: [
      { wave: 1, steps: [{ services: ['db'] }] },
      { wave: 2, steps: [{ services: ['api'] }, { services: ['web'] }] },
    ],
  });
  const elements = model.buildElements(topology, drawn, {
    groupBy: 'zone',
    colourBy: 'zone',
    annotations: null,
    membership: model.clusterMembership([]),
    anomalies: [{ edge: 'api|db|5432', node: null }],
    plan,
  });
  const byId = new Map(elements.map((e) => [e.data.id, e]));
  assert.equal(byId.get('web').data.parent, 'group:zone:a');
  assert.equal(byId.get('db').data.parent, 'group:zone:b');
  assert.equal(byId.get('cluster:redis:cache').data.parent, 'group:kind:cluster');
  assert.equal(byId.get('group:zone:a').data.label, 'zone a');
  assert.match(byId.get('db').classes, /context/);
  assert.equal(byId.get('db').data.label, 'db · w1');
  assert.match(byId.get('cluster:redis:cache').classes, /not-in-plan/);
  assert.equal(byId.get('unattributed:10.9.9.9').data.label, '10.9.9.9');
  assert.match(byId.get('edge:api->db').classes, /anomalous/);
  assert.match(byId.get('edge:web->unattributed:10.9.9.9').classes, /failing/);
  assert.equal(byId.get('edge:web->api').data.ports, '8080,8443');
  assert.equal(byId.get('edge:web->api').data.width, 10); // the busiest pair
  assert.notEqual(byId.get('web').data.colour, byId.get('db').data.colour);
});

test('edges between two context nodes are left out', () => {
  const drawn = { names: new Set(['db']), context: new Set(['api', 'web']) };
  const options = { groupBy: 'none', colourBy: 'zone', membership: model.clusterMembership([]) };
  const edges = model.buildElements(topology, drawn, options).filter((e) => e.group === 'edges');
  assert.deepEqual(edges.map((e) => e.data.id), ['edge:api->db']);
});

test('colour by criticality when annotations are there', () => {
  const drawn = { names: new Set(['web', 'api']), context: new Set() };
  const elements = model.buildElements(topology, drawn, {
    groupBy: 'none',
    colourBy: 'criticality',
    annotations: { web: { criticality: 'P0' } },
    membership: model.clusterMembership([]),
    anomalies: [],
    plan: null,
  });
  const colour = (id) => elements.find((e) => e.data.id === id).data.colour;
  assert.equal(colour('web'), model.CRITICALITY_COLOURS.P0);
  assert.equal(colour('api'), model.criticalityColour(undefined));
  assert.equal(elements.find((e) => e.data.id === 'web').data.parent, undefined);
});

test('group by cluster puts unfolded members inside their cluster', () => {
  const membership = model.clusterMembership([
    { cluster: 'cluster:redis:cache', member_nodes: ['cache-1', 'cache-2'] },
  ]);
  assert.deepEqual(model.groupOf(node('cache-1', 'a'), 'cluster', membership.memberOf), {
    id: 'group:cluster:redis:cache',
    label: 'redis:cache',
  });
  assert.equal(model.groupOf(node('web', 'a'), 'cluster', membership.memberOf), null);
});

test('the zone overview counts nodes per zone and sums traffic between zones', () => {
  const elements = model.zoneOverview(topology);
  const byId = new Map(elements.map((e) => [e.data.id, e]));
  assert.equal(byId.get('group:zone:a').data.count, 2);
  assert.equal(byId.get('group:zone:b').data.label, 'zone b (1)');
  const aToB = byId.get('edge:group:zone:a->group:zone:b');
  assert.equal(aToB.data.edges, 1);
  const inside = byId.get('edge:group:zone:a->group:zone:a');
  assert.equal(inside.data.edges, 2);
  assert.equal(inside.data.rate, 1.5);
});

test('a neighbourhood answer becomes a small topology', () => {
  const near = {
    node: node('api', 'a'),
    downstream: [{ ...node('db', 'b'), distance: 1 }],
    upstream: [{ ...node('web', 'a'), distance: 1 }],
    edges: [topology.edges[0], topology.edges[2]],
  };
  const small = model.neighbourhoodTopology(near);
  assert.deepEqual(small.nodes.map((n) => n.name), ['api', 'db', 'web']);
  assert.equal(small.edges.length, 2);
});

test('plan waves map each service to its bring-up wave', () => {
  const { waveOf, waves } = model.planWaves({
    bring_up: [{ wave: 1, steps: [{ services: ['db', 'cache'] }] }, { wave: 2, steps: [] }],
  });
  assert.equal(waveOf.get('cache'), 1);
  assert.deepEqual(waves, [
    { wave: 1, services: ['cache', 'db'] },
    { wave: 2, services: [] },
  ]);
  assert.equal(model.planWaves(null).waves.length, 0);
});
