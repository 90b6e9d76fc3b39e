import { afterEach, describe, expect, it, vi } from 'vitest';
import { useAuth } from '../features/auth/hooks';
import { ApiError, request } from './http';

function answer(status: number, body: string, type = 'application/json') {
  vi.stubGlobal('fetch', vi.fn(async () => new Response(status === 204 ? null : body, { status, headers: { 'content-type': type } })));
}

afterEach(() => vi.unstubAllGlobals());

describe('request', () => {
  it('sends the API key and parses JSON', async () => {
    useAuth.setState({ key: 'k1' });
    answer(200, '{"items": []}');
    await expect(request('/api/v1/workflows')).resolves.toEqual({ items: [] });
    const init = (fetch as unknown as { mock: { calls: [string, RequestInit][] } }).mock.calls[0][1];
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer k1');
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

  it('signs out on 401 with a notice', async () => {
    useAuth.setState({ key: 'k1', notice: null });
    answer(401, JSON.stringify({ error: { code: 'unauthorized', message: 'unknown key' } }));
    await expect(request('/x')).rejects.toMatchObject({ status: 401 });
    expect(useAuth.getState().key).toBeNull();
    expect(useAuth.getState().notice).toMatch(/refused/);
  });

  it('answers 204 with null and YAML as text', async () => {
    answer(204, '');
    await expect(request('/x', { method: 'DELETE' })).resolves.toBeNull();
    answer(200, 'name: x\n', 'application/yaml');
    await expect(request('/x', { accept: 'yaml' })).resolves.toBe('name: x\n');
  });
});
