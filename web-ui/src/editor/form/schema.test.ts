import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JsonSchema } from './jsonSchema';
import { formFields } from './schema';

// The workflow schema embeds each action's config schema as `$defs/action_<kind>`.
const workflowSchema = JSON.parse(readFileSync(join(__dirname, '../../../../docs/workflow.schema.json'), 'utf8')) as JsonSchema;
const action = (kind: string): JsonSchema => ({ ...workflowSchema.$defs![`action_${kind}`], $defs: workflowSchema.$defs });

describe('formFields', () => {
  it('reads the http config into typed fields', () => {
    const fields = Object.fromEntries(formFields(action('http')).map((f) => [f.name, f]));
    expect(fields.method.kind).toEqual({ kind: 'enum', options: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] });
    expect(fields.method.templated).toBe(true);
    expect(fields.url).toMatchObject({ required: true, kind: { kind: 'string', format: 'uri' } });
    expect(fields.headers.kind.kind).toBe('map');
    expect(fields.json.kind.kind).toBe('any');
    expect(fields.credential.kind.kind).toBe('string');
    expect(fields.accept_status.kind).toEqual({ kind: 'list', item: 'number' });
    expect(fields.timeout.kind.kind).toBe('string');
  });

  it('reads the other actions', () => {
    const respond = Object.fromEntries(formFields(action('respond')).map((f) => [f.name, f.kind.kind]));
    expect(respond).toEqual({ status: 'number', headers: 'map', body: 'any' });
    const sw = Object.fromEntries(formFields(action('switch')).map((f) => [f.name, f.kind.kind]));
    expect(sw).toEqual({ value: 'any', cases: 'map' });
    expect(formFields(action('fail'))[0].kind.kind).toBe('string');
    expect(formFields(action('delay'))[0]).toMatchObject({ name: 'duration', required: true, kind: { kind: 'string' } });
  });

  it('reads an enum whose variants are documented (one const each) as a choice', () => {
    const schema = {
      type: 'object',
      properties: { grant: { $ref: '#/$defs/Grant' } },
      $defs: { Grant: { oneOf: [{ type: 'string', const: 'authorization_code', description: 'a person' }, { type: 'string', const: 'client_credentials' }] } },
    };
    expect(formFields(schema)[0].kind).toEqual({ kind: 'enum', options: ['authorization_code', 'client_credentials'] });
  });
});
