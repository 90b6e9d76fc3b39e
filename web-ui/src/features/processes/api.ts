import type { ProcessList } from '../../lib/types';
import { request } from '../../lib/http';

export const processesApi = {
  /** The `weft serve` and `weft worker` processes on the database, the newest first. */
  list: (signal?: AbortSignal) => request<ProcessList>('/api/v1/processes', { signal }),
};

/** What a process kind runs, in words. */
export function kindLabel(kind: string): string {
  switch (kind) {
    case 'serve':
      return 'server and workers';
    case 'api':
      return 'server, no workers';
    case 'worker':
      return 'worker';
    default:
      return kind;
  }
}

/** A process id (`worker-<uuid>`) in a few characters: its kind and the end of its id. */
export function processLabel(id: string): string {
  const dash = id.indexOf('-');
  if (dash < 0) return id;
  return `${id.slice(0, dash)} ${id.slice(-4)}`;
}
