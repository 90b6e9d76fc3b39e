import { useCallback, useEffect, useState } from 'react';
import type { ExecutionStatus, ExecutionSummary } from '../../lib/types';
import { describeError, isAbort } from '../../lib/http';
import { executionsApi } from './api';

export interface ExecutionPages {
  items: ExecutionSummary[] | null;
  error: string | null;
  loading: boolean;
  more: boolean;
  loadMore: () => void;
  reload: () => void;
}

/** Executions, newest first, a page at a time; reloads when the filter changes. */
export function useExecutions(workflowId: string | undefined, status: ExecutionStatus | '', refreshKey = '', pageSize = 25): ExecutionPages {
  const [tick, setTick] = useState(0);
  const [state, setState] = useState<{ key: string; items: ExecutionSummary[]; cursor: string | null; error: string | null; loading: boolean }>({ key: '', items: [], cursor: null, error: null, loading: true });
  const key = `${workflowId ?? ''}|${status}|${tick}|${refreshKey}`;

  useEffect(() => {
    const ac = new AbortController();
    executionsApi.list({ workflow_id: workflowId, status, limit: pageSize }, ac.signal).then(
      (page) => setState({ key, items: page.items, cursor: page.next_cursor, error: null, loading: false }),
      (e) => !isAbort(e) && setState({ key, items: [], cursor: null, error: describeError(e), loading: false }),
    );
    return () => ac.abort();
  }, [key, workflowId, status, pageSize]);

  const loadMore = useCallback(() => {
    if (!state.cursor) return;
    setState((s) => ({ ...s, loading: true }));
    executionsApi.list({ workflow_id: workflowId, status, limit: pageSize, cursor: state.cursor }).then(
      (page) => setState((s) => ({ ...s, items: [...s.items, ...page.items], cursor: page.next_cursor, loading: false })),
      (e) => setState((s) => ({ ...s, error: describeError(e), loading: false })),
    );
  }, [state.cursor, workflowId, status, pageSize]);

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
