// A small hash router: the editor is served as static files at `/`, so hash routes need no
// server-side fallback.
import { useSyncExternalStore } from 'react';

export type Route =
  | { name: 'workflows' }
  | { name: 'executions' }
  | { name: 'deliveries'; id?: string }
  | { name: 'credentials' }
  | { name: 'processes' }
  | { name: 'connectors' }
  /** An execution by id alone (e.g. a child execution): opens it in its workflow's editor. */
  | { name: 'execution'; id: string }
  | { name: 'editor'; id: string; executionId?: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'executions') return { name: 'executions' };
  if (parts[0] === 'credentials') return { name: 'credentials' };
  if (parts[0] === 'processes') return { name: 'processes' };
  if (parts[0] === 'connectors') return { name: 'connectors' };
  if (parts[0] === 'deliveries') return parts[1] ? { name: 'deliveries', id: parts[1] } : { name: 'deliveries' };
  if (parts[0] === 'executions') return parts[1] ? { name: 'execution', id: parts[1] } : { name: 'executions' };
  if (parts[0] === 'workflows' && parts[1]) {
    if (parts[2] === 'executions' && parts[3]) return { name: 'editor', id: parts[1], executionId: parts[3] };
    return { name: 'editor', id: parts[1] };
  }
  return { name: 'workflows' };
}

export function href(route: Route): string {
  switch (route.name) {
    case 'workflows':
      return '#/workflows';
    case 'executions':
      return '#/executions';
    case 'deliveries':
      return route.id ? `#/deliveries/${encodeURIComponent(route.id)}` : '#/deliveries';
    case 'credentials':
      return '#/credentials';
    case 'processes':
      return '#/processes';
    case 'connectors':
      return '#/connectors';
    case 'execution':
      return `#/executions/${encodeURIComponent(route.id)}`;
    case 'editor':
      return route.executionId
        ? `#/workflows/${encodeURIComponent(route.id)}/executions/${encodeURIComponent(route.executionId)}`
        : `#/workflows/${encodeURIComponent(route.id)}`;
  }
}

export function navigate(route: Route): void {
  window.location.hash = href(route).slice(1);
}

function subscribe(cb: () => void) {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseRoute(hash);
}
