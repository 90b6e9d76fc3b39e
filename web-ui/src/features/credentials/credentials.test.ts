import { describe, expect, it } from 'vitest';
import { href, parseRoute } from '../../app/router';
import {
  blockingWorkflows,
  canConnect,
  credentialShape,
  credentialIn,
  credentialUpdate,
  draftOf,
  draftProblems,
  emptyDraft,
  hostOfUrl,
  hostPatternProblem,
  parseHosts,
  testUrlFor,
} from './model';
import type { Credential, CredentialTypeInfo } from '../../lib/types';

const basic: CredentialTypeInfo = {
  type: 'basic',
  title: 'Basic',
  description: '',
  schema: { type: 'object', required: ['username', 'password'], properties: { username: { type: 'string' }, password: { type: 'string' } } },
  secret_fields: ['password'],
  hosts_required: true,
};

const oauth2: CredentialTypeInfo = {
  type: 'oauth2',
  title: 'OAuth2',
  description: '',
  schema: {
    type: 'object',
    required: ['grant', 'token_url', 'client_id', 'client_secret'],
    properties: {
      grant: { type: 'string', enum: ['authorization_code', 'client_credentials'] },
      authorize_url: { type: ['string', 'null'] },
      token_url: { type: 'string' },
      client_id: { type: 'string' },
      client_secret: { type: 'string' },
      scopes: { type: 'array', items: { type: 'string' } },
      extra_params: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
    },
  },
  secret_fields: ['client_secret'],
  hosts_required: true,
};

const stored: Credential = {
  name: 'crm',
  type: 'basic',
  description: 'CRM login',
  allowed_hosts: ['api.crm.example'],
  data: { username: 'ann' },
  secrets_set: ['password'],
  source: 'database',
  read_only: false,
  status: 'ok',
  status_message: null,
  used_by: [],
  last_used_at: null,
  created_at: null,
  updated_at: null,
  token_expires_at: null,
};

describe('host patterns', () => {
  it('accept a host, a wildcard, a port and an IPv6 address, as the server does', () => {
    for (const ok of ['api.example.com', 'API.Example.com.', '*.example.com', '127.0.0.1:8080', '*.example.com:8443', '[::1]', '[::1]:8443', 'my_host']) {
      expect(hostPatternProblem(ok), ok).toBeNull();
    }
  });

  it('refuse a scheme, a path, a bare or misplaced wildcard, a bad port, a user', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['https://x.com', /write only the host/],
      ['x.com/a', /write only the host/],
      ['x.com?q', /write only the host/],
      ['*', /first label/],
      ['a.*.com', /first label/],
      ['*.com', /needs a domain with a dot/],
      ['x.com:99999', /port/],
      ['x.com:http', /port/],
      ['user@x.com', /@/],
      ['[::1', /closing/],
      ['[nope]', /IPv6/],
      ['ex ample.com', /letters, digits/],
    ];
    for (const [text, why] of cases) expect(hostPatternProblem(text), text).toMatch(why);
  });

  it('are read one per line, commas and blanks forgiven', () => {
    expect(parseHosts('api.example.com\n\n *.example.com, 127.0.0.1:8080 \n')).toEqual(['api.example.com', '*.example.com', '127.0.0.1:8080']);
    expect(parseHosts('  \n')).toEqual([]);
  });
});

describe('the host of a step URL', () => {
  it('is the literal host, with a port only when it is not the default', () => {
    expect(hostOfUrl('https://api.example.com/users')).toBe('api.example.com');
    expect(hostOfUrl('https://API.example.com:443/x')).toBe('api.example.com');
    expect(hostOfUrl('http://127.0.0.1:4010/users/{{steps.a.body.id}}')).toBe('127.0.0.1:4010');
    expect(hostOfUrl('https://user:pw@api.example.com')).toBe('api.example.com');
  });

  it('is left empty for a template host or no URL', () => {
    expect(hostOfUrl('{{env.API_URL}}/x')).toBe('');
    expect(hostOfUrl('https://{{env.HOST}}/x')).toBe('');
    expect(hostOfUrl('not a url')).toBe('');
    expect(hostOfUrl(undefined)).toBe('');
    expect(hostOfUrl(42)).toBe('');
  });

  it('gives the Test button its first host', () => {
    expect(testUrlFor(['api.example.com', 'b.example.com'])).toBe('https://api.example.com/');
    expect(testUrlFor(['*.example.com'])).toBe('https://example.com/');
    expect(testUrlFor(['127.0.0.1:4010'])).toBe('http://127.0.0.1:4010/');
    expect(testUrlFor(null)).toBe('');
  });
});

describe('the credential form', () => {
  it('draws its fields from the type schema and marks the secret ones', () => {
    const { fields } = credentialShape(oauth2);
    expect(fields.map((f) => [f.name, f.kind.kind, f.secret])).toEqual([
      ['grant', 'enum', false],
      ['authorize_url', 'string', false],
      ['token_url', 'string', false],
      ['client_id', 'string', false],
      ['client_secret', 'string', true],
      ['scopes', 'list', false],
      ['extra_params', 'map', false],
    ]);
  });

  it('becomes a CredentialIn, empty values left out', () => {
    const shape = credentialShape(basic);
    const draft = { ...emptyDraft('basic', 'api.crm.example\n*.crm.example'), name: ' crm ', data: { username: 'ann', password: 's3cret' } };
    expect(draftProblems(draft, shape)).toEqual({});
    expect(credentialIn(draft, shape)).toEqual({ name: 'crm', type: 'basic', data: { username: 'ann', password: 's3cret' }, allowed_hosts: ['api.crm.example', '*.crm.example'] });
    const withEmpty = { ...draft, description: '  ', data: { username: 'ann', password: 's3cret', extra: '' } };
    expect(credentialIn(withEmpty, shape)).not.toHaveProperty('description');
  });

  it('asks for a name, the required fields and at least one valid host for a new one', () => {
    const shape = credentialShape(basic);
    expect(draftProblems(emptyDraft('basic'), shape)).toEqual({
      name: expect.any(String),
      allowed_hosts: expect.stringMatching(/at least one host/),
      'data.username': 'Required.',
      'data.password': 'Required.',
    });
    const bad = { ...emptyDraft('basic', 'https://api.crm.example/'), name: 'crm', data: { username: 'a', password: 'b' } };
    expect(draftProblems(bad, shape).allowed_hosts).toMatch(/write only the host/);
  });

  it('needs no hosts for a secret, and sends none', () => {
    const secret: CredentialTypeInfo = { type: 'secret', title: 'Secret', description: '', schema: { type: 'object', required: ['value'], properties: { value: { type: 'string' } } }, secret_fields: ['value'], hosts_required: false };
    const shape = credentialShape(secret);
    const draft = { ...emptyDraft('secret'), name: 'stripe-signing', data: { value: 'whsec_1' } };
    expect(draftProblems(draft, shape)).toEqual({});
    expect(credentialIn(draft, shape).allowed_hosts).toBeNull();
  });

  it('on edit leaves an empty secret out, so the stored one stays', () => {
    const shape = credentialShape(basic);
    const draft = draftOf(stored);
    expect(draft.data).toEqual({ username: 'ann' });
    expect(draftProblems(draft, shape, stored)).toEqual({});
    expect(credentialUpdate(draft, shape, stored)).toEqual({ data: { username: 'ann' }, allowed_hosts: ['api.crm.example'], description: 'CRM login' });
    const replaced = { ...draft, data: { ...draft.data, password: 'new' } };
    expect(credentialUpdate(replaced, shape, stored).data).toEqual({ username: 'ann', password: 'new' });
  });

  it('on a type change asks for the new type\'s secrets and sends the type', () => {
    const shape = credentialShape(oauth2);
    const draft = { ...draftOf(stored), type: 'oauth2', data: { grant: 'client_credentials', token_url: 'https://t', client_id: 'c' } };
    expect(draftProblems(draft, shape, stored)).toEqual({ 'data.client_secret': 'Required.' });
    expect(credentialUpdate({ ...draft, data: { ...draft.data, client_secret: 'x' } }, shape, stored).type).toBe('oauth2');
  });

  it('asks for the authorize URL of an authorization-code grant only', () => {
    const shape = credentialShape(oauth2);
    const draft = { ...emptyDraft('oauth2', 'auth.example.com'), name: 'gh', data: { grant: 'authorization_code', token_url: 'https://t', client_id: 'c', client_secret: 's' } };
    expect(draftProblems(draft, shape)).toEqual({ 'data.authorize_url': 'Required.' });
    expect(draftProblems({ ...draft, data: { ...draft.data, grant: 'client_credentials' } }, shape)).toEqual({});
  });

  it('drops the authorize URL of a client-credentials grant', () => {
    const shape = credentialShape(oauth2);
    const draft = { ...emptyDraft('oauth2', 'auth.example.com'), name: 'svc', data: { grant: 'client_credentials', authorize_url: 'https://a', token_url: 'https://t', client_id: 'c', client_secret: 's', scopes: [] } };
    expect(credentialIn(draft, shape).data).toEqual({ grant: 'client_credentials', token_url: 'https://t', client_id: 'c', client_secret: 's' });
  });
});

describe('credentials', () => {
  it('have a page of their own', () => {
    expect(parseRoute(href({ name: 'credentials' }))).toEqual({ name: 'credentials' });
  });

  it('connect in the browser only for an OAuth2 authorization-code grant', () => {
    expect(canConnect({ type: 'oauth2', data: { grant: 'authorization_code' } })).toBe(true);
    expect(canConnect({ type: 'oauth2', data: { grant: 'client_credentials' } })).toBe(false);
    expect(canConnect({ type: 'bearer', data: {} })).toBe(false);
  });

  it('name the workflows that keep one from being deleted', () => {
    expect(blockingWorkflows({ workflows: ['a', 'b'] })).toEqual(['a', 'b']);
    expect(blockingWorkflows(null)).toEqual([]);
    expect(blockingWorkflows({ workflows: 'a' })).toEqual([]);
  });
});
