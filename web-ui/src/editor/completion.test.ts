import { beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDocument } from '../lib/types';
import { applyCompletion, completionsFor, filterCompletions, HELPERS, tokenAt, walkPaths } from './completion';
import { seedCatalog } from '../test/catalog';

beforeAll(seedCatalog);

const doc: WorkflowDocument = {
  name: 'x',
  trigger: { type: 'webhook', path: 'x' },
  steps: [
    { id: 'create_user', action: 'http', with: { method: 'POST', url: '{{env.API_URL}}/users', json: { email: '{{trigger.body.email}}' } } },
    { id: 'get_user', action: 'http', with: { url: '{{env.API_URL}}/users/{{steps.create_user.body.id}}' } },
    { id: 'side', action: 'set', after: [], with: { value: { a: 1, b: { c: 'x' } } } },
    { id: 'each', action: 'http', for_each: '{{trigger.body.contacts}}', with: { url: 'http://x/{{item.email}}' } },
  ],
};

const labels = (stepId: string | null, lastRun?: Parameters<typeof completionsFor>[0]['lastRun']) =>
  completionsFor({ doc, stepId, lastRun }).map((c) => c.label);

describe('completionsFor', () => {
  it('lists upstream steps only', () => {
    const l = labels('get_user');
    expect(l).toContain('steps.create_user');
    expect(l).toContain('steps.create_user.body');
    expect(l).toContain('steps.create_user.status');
    expect(l.some((x) => x.startsWith('steps.get_user'))).toBe(false);
    expect(l.some((x) => x.startsWith('steps.side'))).toBe(false);
    expect(labels('create_user').some((x) => x.startsWith('steps.'))).toBe(false);
  });

  it('offers trigger, execution, env and helpers', () => {
    const l = labels('create_user');
    for (const p of ['trigger.body', 'trigger.headers', 'trigger.query', 'trigger.body.email', 'execution.id', 'env.API_URL']) {
      expect(l).toContain(p);
    }
    for (const h of ['json', 'default', 'eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'and', 'or', 'not', 'len', 'lower', 'upper', 'trim', 'concat', 'now', 'uuid', 'base64', 'base64_decode', 'url_encode']) {
      expect(l).toContain(h);
    }
    expect(HELPERS.length).toBeGreaterThanOrEqual(21);
  });

  it('offers the allow-listed environment variables, and says when the document uses another', () => {
    const all = completionsFor({ doc, stepId: 'create_user', lastRun: null, env: ['API_URL', 'SLACK_CHANNEL'] });
    const env = all.filter((c) => c.kind === 'env');
    expect(env.map((c) => c.label)).toEqual(['env.API_URL', 'env.SLACK_CHANNEL']);
    const other = completionsFor({ doc, stepId: 'create_user', lastRun: null, env: ['SLACK_CHANNEL'] }).find((c) => c.label === 'env.API_URL');
    expect(other?.detail).toBe('not allow-listed on this server');
  });

  it('offers item and index only in a for_each step', () => {
    expect(labels('each')).toEqual(expect.arrayContaining(['item', 'index']));
    expect(labels('get_user')).not.toContain('item');
  });

  it('walks real output and request data, arrays as .0', () => {
    const l = labels('get_user', {
      request: { body: { email: 'a@b.c', contacts: [{ email: 'x' }] }, headers: { 'x-sig': 'abc' }, query: {} },
      outputs: { create_user: { status: 201, body: { id: 42, tags: [{ name: 'vip' }] } } },
    });
    expect(l).toEqual(expect.arrayContaining([
      'steps.create_user.body.id',
      'steps.create_user.body.tags.0',
      'steps.create_user.body.tags.0.name',
      'trigger.body.contacts.0.email',
      'trigger.headers.x-sig',
    ]));
    const id = completionsFor({ doc, stepId: 'get_user', lastRun: { outputs: { create_user: { body: { id: 42 } } } } })
      .find((c) => c.label === 'steps.create_user.body.id');
    expect(id?.detail).toBe('42');
  });

  it('proposes item paths from the items of the last run', () => {
    const l = labels('each', { request: { body: { contacts: [{ email: 'x', name: 'n' }] } } });
    expect(l).toEqual(expect.arrayContaining(['item.email', 'item.name']));
  });

  it('uses the output shape of set steps without data', () => {
    const d: WorkflowDocument = { ...doc, steps: [doc.steps![2], { id: 'after_side', action: 'set', with: { value: 1 } }] };
    const l = completionsFor({ doc: d, stepId: 'after_side' }).map((c) => c.label);
    expect(l).toEqual(expect.arrayContaining(['steps.side.a', 'steps.side.b', 'steps.side.b.c']));
  });
});

describe('walkPaths', () => {
  it('uses bracket segments for odd keys and stops at depth', () => {
    expect(walkPaths({ 'a b': { c: 1 } }, 'x').map((c) => c.label)).toEqual(['x.[a b]', 'x.[a b].c']);
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = { k: deep };
    expect(walkPaths(deep, 'd').length).toBe(6);
  });
});

describe('template tokens', () => {
  it('finds the partial path inside an open expression', () => {
    const text = 'Hello {{steps.cre';
    expect(tokenAt(text, text.length)).toEqual({ from: 8, to: text.length, prefix: 'steps.cre', closed: false });
    expect(tokenAt('plain text', 5)).toBeNull();
    expect(tokenAt('{{a}} b', 7)).toBeNull();
    expect(tokenAt('{{gt trigger.bo}}', 15)).toMatchObject({ prefix: 'trigger.bo', closed: true });
  });

  it('inserts a completion and closes the expression', () => {
    const text = 'x {{steps.cr';
    const t = tokenAt(text, text.length)!;
    expect(applyCompletion(text, t, 'steps.create_user.body.id')).toEqual({ text: 'x {{steps.create_user.body.id}}', cursor: 31 });
    const closed = '{{trig}} y';
    expect(applyCompletion(closed, tokenAt(closed, 6)!, 'trigger.body').text).toBe('{{trigger.body}} y');
    expect(applyCompletion('{{', tokenAt('{{', 2)!, 'gt').text).toBe('{{gt ');
  });

  it('filters prefix matches first, then substrings', () => {
    const all = completionsFor({ doc, stepId: 'get_user' });
    const f = filterCompletions(all, 'body').map((c) => c.label);
    expect(f).toContain('steps.create_user.body');
    const g = filterCompletions(all, 'steps.cr').map((c) => c.label);
    expect(g[0]).toBe('steps.create_user');
  });
});

describe('a connector step that has not run', () => {
  it('offers the fields of its output schema', () => {
    const doc = {
      name: 'w',
      trigger: { type: 'manual' },
      steps: [
        { id: 'sms', action: 'twilio.CreateMessage', with: {} },
        { id: 'next', action: 'set', with: { value: 1 } },
      ],
    } as unknown as WorkflowDocument;
    const outputSchemas = {
      'twilio.CreateMessage': {
        type: 'object',
        properties: { status: { type: 'integer' }, body: { $ref: '#/$defs/message' } },
        $defs: { message: { type: 'object', properties: { sid: { type: ['string', 'null'] }, media: { type: 'array', items: { $ref: '#/$defs/message' } } } } },
      },
    };
    const labels = completionsFor({ doc, stepId: 'next', lastRun: null, outputSchemas }).map((c) => c.label);
    expect(labels).toContain('steps.sms.body.sid');
    expect(labels).toContain('steps.sms.body.media.0.sid');
    expect(labels).toContain('steps.sms.status');
  });
});
