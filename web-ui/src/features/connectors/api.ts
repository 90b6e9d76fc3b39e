import type { ActionInfo, Connector, ConnectorDetail, ConnectorImported, ConnectorList } from '../../lib/types';
import { request } from '../../lib/http';

export const connectorsApi = {
  list: (signal?: AbortSignal) => request<ConnectorList>('/api/v1/connectors', { signal }),
  get: (name: string) => request<ConnectorDetail>(`/api/v1/connectors/${encodeURIComponent(name)}`),
  /** Imports a document (JSON or YAML text: JSON is YAML too); a known name gets a new version. */
  import: (text: string, name?: string, baseUrl?: string) =>
    request<ConnectorImported>('/api/v1/connectors', { method: 'POST', body: text, yaml: true, query: { name, base_url: baseUrl } }),
  remove: (name: string) => request<void>(`/api/v1/connectors/${encodeURIComponent(name)}`, { method: 'DELETE' }),
};

/** A connector's operations as palette groups: connector name → its actions, by title. */
export function groupByConnector(actions: ActionInfo[]): { name: string; actions: ActionInfo[] }[] {
  const groups = new Map<string, ActionInfo[]>();
  for (const a of actions) {
    const name = a.connector?.name;
    if (!name) continue;
    const list = groups.get(name) ?? [];
    list.push(a);
    groups.set(name, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, list]) => ({ name, actions: list.sort((x, y) => x.title.localeCompare(y.title)) }));
}

/** Whether an action matches a palette filter: every word in its kind, title, path or docs. */
export function matches(action: Pick<ActionInfo, 'kind' | 'title' | 'description'> & { connector?: { path: string; method: string } | null }, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const text = `${action.kind} ${action.title} ${action.connector ? `${action.connector.method} ${action.connector.path}` : ''} ${action.description}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

/** The usage line of a connector. */
export function usedBy(c: Connector): string {
  if (c.used_by.length === 0) return 'not used';
  return `used by ${c.used_by.join(', ')}`;
}
