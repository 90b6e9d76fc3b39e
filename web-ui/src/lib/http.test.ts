import { afterEach, describe, expect, it, vi } from 'vitest';
import { useAuth } from '../features/auth/hooks';
import { ApiError, request } from './http';

function answer(status: number, body: string, type = 'application/json') {
  vi.stubGlobal('fetch', vi.fn(async () => new Response(status === 204 ? null : body, { status, headers: { 'content-type': type } })));
}

afterEach(() => vi.unstubAllGlobals());

describe('request', () => {
  const lastInit = () => {
    const calls = (fetch as unknown as { mock: { calls: [string, RequestInit][] } }).mock.calls;
    return calls[calls.length - 1][1];
  };
  const session = { scope: 'admin' as const, csrf_token: 'c1', expires_at: null };

  it('sends the cookie, no Authorization header, and parses JSON', async () => {
    useAuth.setState({ status: 'signed-in', session });
    answer(200, '{"items": []}');
    await expect(request('/api/v1/workflows')).resolves.toEqual({ items: [] });
    const init = lastInit();
    expect(init.credentials).toBe('same-origin');
    expect(init.headers as Record<string, string>).not.toHaveProperty('Authorization');
    expect(init.headers as Record<string, string>).not.toHaveProperty('X-CSRF-Token');
  });

  it('sends the CSRF token on state-changing calls only', async () => {
    useAuth.setState({ status: 'signed-in', session });
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'post']) {
      answer(204, '');
      await request('/x', { method });
      expect((lastInit().headers as Record<string, string>)['X-CSRF-Token']).toBe('c1');
    }
    for (const method of ['GET', 'HEAD']) {
      answer(204, '');
      await request('/x', { method });
      expect(lastInit().headers as Record<string, string>).not.toHaveProperty('X-CSRF-Token');
    }
  });

  it('passes the 403 message of a read-only key through', async () => {
    useAuth.setState({ status: 'signed-in', session: { ...session, scope: 'read' } });
    answer(403, JSON.stringify({ error: { code: 'forbidden', message: 'this API key is read-only: it cannot change workflows' } }));
    await expect(request('/x', { method: 'POST', body: {} })).rejects.toMatchObject({ status: 403, code: 'forbidden', message: expect.stringMatching(/read-only/) });
    expect(useAuth.getState().status).toBe('signed-in');
  });

  it('turns the error body into an ApiError with its problems', async () => {
    answer(422, JSON.stringify({ error: { code: 'invalid_workflow', message: 'not valid', details: { problems: [{ path: 'steps[0]', step: 'a', message: 'bad' }] } } }));
    const e = (await request('/x', { method: 'POST', body: {} }).catch((x) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.code, e.message]).toEqual([422, 'invalid_workflow', 'not valid']);
    expect(e.problems).toEqual([{ path: 'steps[0]', step: 'a', message: 'bad' }]);
  });

  it('says when the server is unreachable', async () => {
    answer(502, '');
    await expect(request('/x')).rejects.toThrow(/not reachable/);
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch'); }));
    await expect(request('/x')).rejects.toMatchObject({ code: 'network' });
  });

  it('signs out on 401 (expired session) with a notice', async () => {
    useAuth.setState({ status: 'signed-in', session, notice: null });
    answer(401, JSON.stringify({ error: { code: 'unauthorized', message: 'invalid token', details: { reason: 'session_expired' } } }));
    await expect(request('/x')).rejects.toMatchObject({ status: 401 });
    expect(useAuth.getState().session).toBeNull();
    expect(useAuth.getState().status).toBe('signed-out');
    expect(useAuth.getState().notice).toMatch(/expired/);
  });

  it('keeps the session state on a 401 of the sign-in call itself', async () => {
    useAuth.setState({ status: 'signed-out', session: null, notice: null });
    answer(401, JSON.stringify({ error: { code: 'unauthorized', message: 'unknown key' } }));
    await expect(request('/api/v1/session', { method: 'POST', body: { api_key: 'x' }, keepSession: true })).rejects.toMatchObject({ status: 401 });
    expect(useAuth.getState().notice).toBeNull();
  });

  it('answers 204 with null and YAML as text', async () => {
    answer(204, '');
    await expect(request('/x', { method: 'DELETE' })).resolves.toBeNull();
    answer(200, 'name: x\n', 'application/yaml');
    await expect(request('/x', { accept: 'yaml' })).resolves.toBe('name: x\n');
  });
});
