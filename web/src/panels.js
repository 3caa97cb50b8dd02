// The side panels: the chosen node and its neighbourhood, anomalies, clusters, unattributed
// addresses and the BCP plan. Text from the worker only ever goes in as text nodes.

import { edgeRate } from './graph_model.js';

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function fill(container, ...children) {
  container.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
}

const rateText = (rate) => (rate >= 1 ? `${rate.toFixed(1)}/s` : `${(rate * 60).toFixed(1)}/min`);

function nodeButton(name, onPick, extra) {
  return h('button', { type: 'button', class: 'link', 'data-name': name, onclick: () => onPick(name) },
    name, extra ? h('small', {}, ` ${extra}`) : null);
}

function reachedList(rows, cls, onPick) {
  if (!rows.length) return h('p', { class: `empty ${cls}` }, 'none');
  return h('ol', { class: cls },
    rows.map((row) => h('li', { 'data-name': row.name },
      nodeButton(row.name, onPick, `${row.distance} hop${row.distance === 1 ? '' : 's'}`))));
}

// The chosen node: its fields, its annotation, what it depends on and what depends on it.
export function selectionPanel(near, note, { onPick, direction }) {
  const node = near.node;
  const facts = Object.entries(node)
    .filter(([key, value]) => !['name', 'first_seen'].includes(key) && typeof value !== 'object')
    .map(([key, value]) => h('div', {}, h('dt', {}, key), h('dd', {}, String(value))));
  const notes = note
    ? Object.entries(note).map(([key, value]) =>
        h('div', {}, h('dt', {}, key), h('dd', {}, Array.isArray(value) ? value.join(', ') : String(value))))
    : [];
  const edges = near.edges.map((edge) =>
    h('tr', { class: edge.status, title: edge.status },
      h('td', {}, `${edge.client} → ${edge.server}:${edge.port}`),
      h('td', { class: 'num' }, edge.attempts),
      h('td', { class: 'num' }, edge.answered),
      h('td', { class: 'num' }, rateText(edgeRate(edge)))));
  return [
    h('h3', { class: 'selected-name' }, node.name),
    h('dl', { class: 'facts' }, facts, notes),
    direction !== 'up' ? h('h4', {}, `Depends on (${near.hops} hop${near.hops === 1 ? '' : 's'} down)`) : null,
    direction !== 'up' ? reachedList(near.downstream, 'downstream', onPick) : null,
    direction !== 'down' ? h('h4', {}, `Used by (${near.hops} hop${near.hops === 1 ? '' : 's'} up)`) : null,
    direction !== 'down' ? reachedList(near.upstream, 'upstream', onPick) : null,
    h('h4', {}, `Edges walked (${near.total_edges})`),
    edges.length
      ? h('table', { class: 'edges' },
          h('tr', {}, ['edge (stale in grey)', 'attempts', 'answered', 'rate'].map((t) => h('th', {}, t))),
          edges)
      : h('p', { class: 'empty' }, 'none'),
    near.truncated ? h('p', { class: 'note' }, `lists cut at ${near.limit} rows`) : null,
  ];
}

export function edgePanel(pair) {
  return [
    h('h3', {}, `${pair.source} → ${pair.target}`),
    h('dl', { class: 'facts' },
      [['ports', pair.ports], ['attempts', pair.attempts], ['answered', pair.answered],
        ['rate', rateText(pair.rate)]].map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, String(v))))),
  ];
}

const ANOMALIES_LISTED = 12;

export function anomalyList(anomalies, total, onPick) {
  if (!anomalies.length) return [h('p', { class: 'empty' }, 'no open anomalies')];
  const shown = anomalies.slice(0, ANOMALIES_LISTED);
  return [
    h('ol', { class: 'anomaly-list' },
      shown.map((a) => {
        const target = a.node ?? (a.edge ? a.edge.split('|')[0] : null);
        return h('li', { class: `severity-${a.severity}`, 'data-key': a.dedup_key },
          h('span', { class: 'badge' }, a.kind.replace(/_/g, ' ')),
          target ? h('button', { type: 'button', class: 'link', onclick: () => onPick(target) }, a.message) : a.message);
      })),
    total > shown.length ? h('p', { class: 'note' }, `${total - shown.length} more: /topology/anomalies/`) : null,
  ];
}

export function unattributedList(rows, total, onPick) {
  if (!rows.length) return [h('p', { class: 'empty' }, 'every address is attributed')];
  return [
    h('ol', {},
      rows.slice(0, 15).map((row) =>
        h('li', {}, nodeButton(row.name, onPick, `${row.attempts} attempts, ports ${row.ports.join(',')}`)))),
    total > 15 ? h('p', { class: 'note' }, `${total - 15} more: /topology/unattributed/`) : null,
  ];
}

export function clusterList(rows, onPick) {
  if (!rows.length) return [h('p', { class: 'empty' }, 'no clusters recognised')];
  return [
    h('ol', {},
      rows.slice(0, 15).map((row) =>
        h('li', {}, nodeButton(row.cluster, onPick, `${row.engine}, ${row.members.length} members, ${row.clients.length} clients`)))),
    rows.length > 15 ? h('p', { class: 'note' }, `${rows.length - 15} more: /topology/clusters/`) : null,
  ];
}

export function planPanel(plan, waves, onWave) {
  const summary = plan.summary ?? {};
  const late = (plan.flows ?? []).filter((flow) => !flow.meets_rto);
  return [
    h('p', {}, plan.scenario?.description ?? ''),
    h('p', { class: 'note' },
      `${summary.scope_services ?? '?'} services in scope, ${waves.length} bring-up waves, ` +
      `${summary.instances_to_add ?? 0} instances to add, ready after ${Math.round((summary.ready_at ?? 0) / 60)} min`),
    h('ol', { class: 'waves' },
      waves.map((wave) =>
        h('li', { 'data-wave': wave.wave },
          h('button', { type: 'button', class: 'link', onclick: () => onWave(wave.wave) }, `wave ${wave.wave}`),
          `: ${wave.services.join(', ')}`))),
    late.length
      ? h('p', { class: 'warning' }, `late against RTO: ${late.map((f) => `${f.flow} (+${Math.round(f.late_by / 60)} min)`).join(', ')}`)
      : null,
    ...(plan.warnings ?? []).map((w) => h('p', { class: 'note' }, w)),
  ];
}
