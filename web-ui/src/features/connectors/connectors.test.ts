import { describe, expect, it } from 'vitest';
import type { ActionInfo } from '../../lib/types';
import { groupByConnector, matches } from './api';

function op(name: string, id: string, title: string, description = ''): ActionInfo {
  return {
    kind: `${name}.${id}`,
    title,
    description,
    config_schema: {},
    ports: null,
    connector: { name, version: 1, operation: id, method: 'POST', path: `/${id}`, base_url: 'http://127.0.0.1', credential_types: ['basic'], tags: [], output_schema: null },
  };
}

describe('connector operations in the palette', () => {
  it('groups by connector, built-in actions left out', () => {
    const http = { kind: 'http', title: 'HTTP request', description: '', config_schema: {}, ports: null } as ActionInfo;
    const groups = groupByConnector([op('twilio', 'B', 'Send'), http, op('slack', 'A', 'Post'), op('twilio', 'A', 'Call')]);
    expect(groups.map((g) => g.name)).toEqual(['slack', 'twilio']);
    expect(groups[1].actions.map((a) => a.title)).toEqual(['Call', 'Send']);
  });

  it('filters 1,000 operations by every word, in their summary, path or docs', () => {
    const many = Array.from({ length: 1000 }, (_, i) => op(`c${i % 7}`, `Op${i}`, i === 617 ? 'Send a message' : `Operation ${i}`, i === 618 ? 'Creates a message resource' : ''));
    const started = performance.now();
    const hits = many.filter((a) => matches(a, 'message'));
    const took = performance.now() - started;
    expect(hits.map((a) => a.kind)).toEqual(['c1.Op617', 'c2.Op618']);
    expect(many.filter((a) => matches(a, 'send message')).map((a) => a.kind)).toEqual(['c1.Op617']);
    expect(many.filter((a) => matches(a, 'POST /Op99')).length).toBe(11);
    // Printed, not asserted: a figure, not a timing test.
    console.log(`filtered 1000 operations in ${took.toFixed(2)} ms`);
  });
});
