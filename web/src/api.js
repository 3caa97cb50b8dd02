// The worker's JSON APIs as the page uses them. Every call resolves to the answer's body or
// rejects with an ApiError that carries the HTTP status and the worker's own message, so the
// page can say why a panel is empty instead of showing nothing.

export class ApiError extends Error {
  constructor(status, message, fromApi = false) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.fromApi = fromApi; // the answer was the API's JSON, not the web server's own page
  }
}

// The worker's bearer token, when it protects reads (MEESEEKS_API_PROTECT_READS): asked of
// the user once and kept for this browser tab only.
const TOKEN_KEY = 'meeseeks-api-token';

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export async function getJson(path, { signal } = {}) {
  const headers = { Accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, { headers, signal });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, `the worker did not answer (${error.message})`);
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const reason = body && typeof body.error === 'string' ? body.error : text.trim().slice(0, 200);
    const message = reason || `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message, body !== null);
  }
  if (body === null) throw new ApiError(response.status, `${path} did not answer JSON`);
  return body;
}

const flag = (value) => (value ? '1' : '0');
const part = (name) => encodeURIComponent(name);

export const api = {
  topology: ({ clustered, limit }) =>
    getJson(`/topology/?clustered=${flag(clustered)}&limit=${limit}`),
  neighbours: ({ node, direction, hops, clustered, limit }) =>
    getJson(
      `/topology/neighbours/${part(node)}/?direction=${direction}&hops=${hops}` +
        `&clustered=${flag(clustered)}&limit=${limit}`,
    ),
  edge: ({ client, server, port }) =>
    getJson(`/topology/edges/${part(server)}/${part(client)}/${port}/`),
  anomalies: ({ limit }) => getJson(`/topology/anomalies/?limit=${limit}`),
  clusters: ({ limit }) => getJson(`/topology/clusters/?limit=${limit}`),
  unattributed: ({ limit }) => getJson(`/topology/unattributed/?limit=${limit}`),
  overlays: () => getJson('/overlays/'),
  nodeAnnotations: (overlay) => getJson(`/overlays/${part(overlay)}/annotations/node/`),
  bcpPlan: (zone) => getJson(`/bcp/plan/?fail_zone=${part(zone)}`),
};

// Why an optional API (overlays, BCP plan) gave nothing, in words for the page.
export function unavailableReason(error, what) {
  if (!(error instanceof ApiError)) return `${what}: ${error.message}`;
  if (error.status === 404 && !error.fromApi) {
    return `${what} is not served by this worker`;
  }
  if (error.status === 0) return `${what}: ${error.message}`;
  return `${what}: ${error.message} (HTTP ${error.status})`;
}
