import { afterEach, describe, expect, it, vi } from 'vitest';
import { executionsApi } from '../executions/api';
import { restoreSession, signIn, signOut } from './api';
import { removeStaleKey, useAuth } from './hooks';
import { absoluteUrl } from '../../lib/format';

type Call = [string, RequestInit];
const calls = () => (fetch as unknown as { mock: { calls: Call[] } }).mock.calls;

function answer(status: number, body: unknown) {
  vi.stubGlobal('fetch', vi.fn(async () => new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })));
}

afterEach(() => vi.unstubAllGlobals());

describe('session', () => {
  it('signs in with POST /api/v1/session and keeps the CSRF token in memory only', async () => {
    const storage = new Map<string, string>();
    vi.stubGlobal('localStorage', { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => storage.set(k, v), removeItem: (k: string) => storage.delete(k) });
    answer(200, { scope: 'admin', csrf_token: 'tok', expires_at: '2030-01-01T00:00:00Z' });
    await signIn('weft_key');
    const [path, init] = calls()[0];
    expect(path).toBe('/api/v1/session');
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toEqual({ api_key: 'weft_key' });
    expect(useAuth.getState()).toMatchObject({ status: 'signed-in', session: { scope: 'admin', csrf_token: 'tok' } });
    expect(storage.size).toBe(0);
  });

  it('restores a tab from GET /api/v1/session, or signs out quietly on 401', async () => {
    answer(200, { scope: 'read', csrf_token: 't2', expires_at: null });
    await restoreSession();
    expect(useAuth.getState()).toMatchObject({ status: 'signed-in', session: { scope: 'read' } });
    answer(401, { error: { code: 'unauthorized', message: 'no' } });
    await restoreSession();
    expect(useAuth.getState()).toMatchObject({ status: 'signed-out', session: null, notice: null });
  });

  it('signs out with DELETE and the CSRF header', async () => {
    useAuth.setState({ status: 'signed-in', session: { scope: 'admin', csrf_token: 'c9', expires_at: null } });
    answer(204, null);
    await signOut();
    const [path, init] = calls()[0];
    expect([path, init.method]).toEqual(['/api/v1/session', 'DELETE']);
    expect((init.headers as Record<string, string>)['X-CSRF-Token']).toBe('c9');
    expect(useAuth.getState().status).toBe('signed-out');
  });

  it('removes a stale stored API key', () => {
    const removed: string[] = [];
    vi.stubGlobal('localStorage', { removeItem: (k: string) => removed.push(k) });
    removeStaleKey();
    expect(removed).toEqual(['weft.apiKey']);
  });

  it('puts no token in the events URL', () => {
    expect(executionsApi.eventsUrl('ex 1')).toBe('/api/v1/executions/ex%201/events');
  });

  it('anchors relative public URLs to the page origin', () => {
    expect(absoluteUrl('/hooks/x', 'http://127.0.0.1:9')).toBe('http://127.0.0.1:9/hooks/x');
    expect(absoluteUrl('https://weft.example/hooks/x', 'http://127.0.0.1:9')).toBe('https://weft.example/hooks/x');
  });
});
