import { useCallback, useEffect, useState } from 'react';
import type { Delivery, DeliveryStatus } from '../../lib/types';
import { describeError, isAbort } from '../../lib/http';
import { deliveriesApi } from './api';

export interface DeliveryPages {
  items: Delivery[] | null;
  error: string | null;
  loading: boolean;
  more: boolean;
  loadMore: () => void;
  reload: () => void;
}

/** Deliveries, newest first, a page at a time; reloads when the filter changes. */
export function useDeliveries(status: DeliveryStatus | '', executionId?: string, pageSize = 25): DeliveryPages {
  const [tick, setTick] = useState(0);
  const [state, setState] = useState<{ key: string; items: Delivery[]; cursor: string | null; error: string | null; loading: boolean }>({ key: '', items: [], cursor: null, error: null, loading: true });
  const key = `${status}|${executionId ?? ''}|${tick}`;

  useEffect(() => {
    const ac = new AbortController();
    deliveriesApi.list({ status, execution_id: executionId, limit: pageSize }, ac.signal).then(
      (page) => setState({ key, items: page.items, cursor: page.next_cursor, error: null, loading: false }),
      (e) => !isAbort(e) && setState({ key, items: [], cursor: null, error: describeError(e), loading: false }),
    );
    return () => ac.abort();
  }, [key, status, executionId, pageSize]);

  const loadMore = useCallback(() => {
    if (!state.cursor) return;
    setState((s) => ({ ...s, loading: true }));
    deliveriesApi.list({ status, execution_id: executionId, limit: pageSize, cursor: state.cursor }).then(
      (page) => setState((s) => ({ ...s, items: [...s.items, ...page.items], cursor: page.next_cursor, loading: false })),
      (e) => setState((s) => ({ ...s, error: describeError(e), loading: false })),
    );
  }, [state.cursor, status, executionId, pageSize]);

  const current = state.key === key;
  return {
    items: current && !state.error ? state.items : null,
    error: current ? state.error : null,
    loading: !current || state.loading,
    more: current && !!state.cursor,
    loadMore,
    reload: useCallback(() => setTick((t) => t + 1), []),
  };
}

/** One delivery with its attempts (`null` while loading); `reload` reads it again. */
export function useDelivery(id: string | undefined): { delivery: Delivery | null; error: string | null; reload: () => void } {
  const [tick, setTick] = useState(0);
  const [state, setState] = useState<{ key: string; delivery: Delivery | null; error: string | null }>({ key: '', delivery: null, error: null });
  const key = `${id ?? ''}|${tick}`;
  useEffect(() => {
    if (!id) return;
    const ac = new AbortController();
    deliveriesApi.get(id, ac.signal).then(
      (delivery) => setState({ key, delivery, error: null }),
      (e) => !isAbort(e) && setState({ key, delivery: null, error: describeError(e) }),
    );
    return () => ac.abort();
  }, [key, id]);
  const current = state.key === key;
  return {
    delivery: current ? state.delivery : null,
    error: current ? state.error : null,
    reload: useCallback(() => setTick((t) => t + 1), []),
  };
}
