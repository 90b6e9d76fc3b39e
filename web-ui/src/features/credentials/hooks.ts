// The credentials the server knows and the types it offers, loaded once and shared by the
// Credentials page and the pickers; a change made in one shows in the other.
import { useCallback, useEffect, useState } from 'react';
import { create } from 'zustand';
import { describeError } from '../../lib/http';
import { credentialsApi } from './api';
import type { CredentialConnect, Credential, CredentialTypeInfo } from '../../lib/types';

interface CredentialsState {
  credentials: Credential[] | null;
  error: string | null;
  loading: boolean;
  load: () => Promise<void>;
  /** Reads the list again (after a run, a connect, a change elsewhere). */
  reload: () => Promise<void>;
  /** Puts a created or updated credential in the list. */
  upsert: (c: Credential) => void;
  forget: (name: string) => void;
}

const byName = (a: Credential, b: Credential) => a.name.localeCompare(b.name);

export const useCredentials = create<CredentialsState>((set, get) => ({
  credentials: null,
  error: null,
  loading: false,
  load: async () => {
    if (get().loading || get().credentials) return;
    await get().reload();
  },
  reload: async () => {
    set({ loading: true, error: null });
    try {
      set({ credentials: (await credentialsApi.list()).sort(byName), loading: false });
    } catch (e) {
      set({ error: describeError(e), loading: false });
    }
  },
  upsert: (c) => set({ credentials: [...(get().credentials ?? []).filter((x) => x.name !== c.name), c].sort(byName) }),
  forget: (name) => set({ credentials: (get().credentials ?? []).filter((x) => x.name !== name) }),
}));

/** The credential list, loading it on first use (empty while loading or on error). */
export function useCredentialList(): Credential[] {
  const { credentials, loading, error, load } = useCredentials();
  useEffect(() => {
    if (!credentials && !loading && !error) void load();
  }, [credentials, loading, error, load]);
  return credentials ?? [];
}

interface TypesState {
  types: CredentialTypeInfo[] | null;
  error: string | null;
  loading: boolean;
  load: () => Promise<void>;
}

export const useCredentialTypeStore = create<TypesState>((set, get) => ({
  types: null,
  error: null,
  loading: false,
  load: async () => {
    if (get().loading) return;
    set({ loading: true, error: null });
    try {
      set({ types: await credentialsApi.types(), loading: false });
    } catch (e) {
      set({ error: describeError(e), loading: false });
    }
  },
}));

/** The credential types with their schemas, loaded on first use. */
export function useCredentialTypes(): { types: CredentialTypeInfo[] | null; error: string | null; retry: () => void } {
  const { types, loading, error, load } = useCredentialTypeStore();
  useEffect(() => {
    if (!types && !loading && !error) void load();
  }, [types, loading, error, load]);
  return { types, error, retry: () => void load() };
}

/** Reads the credentials again whenever the window gets the focus back (e.g. after connecting
 * an OAuth2 credential in another window), and every `pollMs` while `poll` is set. */
export function useRefreshOnFocus(poll = false, pollMs = 2000): void {
  const reload = useCredentials((s) => s.reload);
  useEffect(() => {
    const onFocus = () => void reload();
    window.addEventListener('focus', onFocus);
    const t = poll ? window.setInterval(onFocus, pollMs) : undefined;
    return () => {
      window.removeEventListener('focus', onFocus);
      if (t) window.clearInterval(t);
    };
  }, [reload, poll, pollMs]);
}

/**
 * Connects an OAuth2 authorization-code credential: opens the provider's authorize page in a new
 * window (the provider sends it back to Weft's `/oauth/callback`), then reads the credential
 * again on focus and every 2 s until it is connected, for up to five minutes.
 */
export function useConnect(): { connect: (name: string) => Promise<CredentialConnect>; waiting: string | null } {
  const [waiting, setWaiting] = useState<string | null>(null);
  const upsert = useCredentials((s) => s.upsert);
  useEffect(() => {
    if (!waiting) return;
    const until = Date.now() + 5 * 60_000;
    let stopped = false;
    const check = async () => {
      try {
        const c = await credentialsApi.get(waiting);
        if (stopped) return;
        upsert(c);
        if (c.status === 'ok' || Date.now() > until) setWaiting(null);
      } catch {
        // keep waiting: the next tick tries again
      }
    };
    const t = window.setInterval(() => void check(), 2000);
    window.addEventListener('focus', check);
    return () => {
      stopped = true;
      window.clearInterval(t);
      window.removeEventListener('focus', check);
    };
  }, [waiting, upsert]);
  const connect = useCallback(async (name: string) => {
    // Opened before the request, while the click still counts as the user's: a window opened
    // after an await may be blocked as a pop-up.
    const w = window.open('', '_blank');
    if (w) w.opener = null;
    try {
      const out = await credentialsApi.connect(name);
      if (w) w.location.href = out.authorize_url;
      else window.open(out.authorize_url, '_blank', 'noopener');
      setWaiting(name);
      return out;
    } catch (e) {
      w?.close();
      throw e;
    }
  }, []);
  return { connect, waiting };
}
