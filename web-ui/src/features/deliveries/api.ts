import type { Delivery, DeliveryList, DeliveryStatus, ListDeliveriesQuery } from '../../lib/types';
import { request } from '../../lib/http';

const base = '/api/v1/deliveries';
const at = (id: string) => `${base}/${encodeURIComponent(id)}`;

/** `GET /deliveries`'s query string; `''` (any status) and a `null` cursor are left out. */
export type DeliveryQuery = Omit<ListDeliveriesQuery, 'status' | 'cursor'> & {
  status?: DeliveryStatus | '';
  cursor?: string | null;
};

export const deliveriesApi = {
  list: (q: DeliveryQuery = {}, signal?: AbortSignal) =>
    request<DeliveryList>(base, { query: { ...q, status: q.status || undefined, cursor: q.cursor ?? undefined }, signal }),
  /** One delivery with every finished attempt (`history`). */
  get: (id: string, signal?: AbortSignal) => request<Delivery>(at(id), { signal }),
  /** A failed delivery, pending again with a new round of the retry schedule. */
  retry: (id: string) => request<Delivery>(`${at(id)}/retry`, { method: 'POST' }),
};

/** The delivery a `webhook` step queued, from its output `{delivery_id, message_id}`. */
export function deliveryId(output: unknown): string | undefined {
  if (!output || typeof output !== 'object') return undefined;
  const id = (output as { delivery_id?: unknown }).delivery_id;
  return typeof id === 'string' ? id : undefined;
}
