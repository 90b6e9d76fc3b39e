// The credentials the server knows (names and types), loaded once for the pickers.
import { useEffect } from 'react';
import { create } from 'zustand';
import { describeError } from '../../lib/http';
import { credentialsApi, type CredentialSummary } from './api';

interface CredentialsState {
  credentials: CredentialSummary[] | null;
  error: string | null;
  loading: boolean;
  load: () => Promise<void>;
}

export const useCredentials = create<CredentialsState>((set, get) => ({
  credentials: null,
  error: null,
  loading: false,
  load: async () => {
    if (get().loading || get().credentials) return;
    set({ loading: true, error: null });
    try {
      set({ credentials: await credentialsApi.list(), loading: false });
    } catch (e) {
      set({ error: describeError(e), loading: false });
    }
  },
}));

/** The credential list, loading it on first use (empty while loading or on error). */
export function useCredentialList(): CredentialSummary[] {
  const { credentials, loading, error, load } = useCredentials();
  useEffect(() => {
    if (!credentials && !loading && !error) void load();
  }, [credentials, loading, error, load]);
  return credentials ?? [];
}
