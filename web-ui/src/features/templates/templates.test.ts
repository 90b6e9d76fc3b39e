import { describe, expect, it } from 'vitest';
import { TEMPLATES, describeTemplate, withFreeName } from './templates';

const YAML = `# a comment
name: Tag a user
description: Tags it.
trigger: { type: webhook, path: tag, auth: { type: hmac, preset: stripe, credential: stripe-signing } }
steps:
  - id: tag
    action: http
    with: { url: "{{env.API_URL}}/tags", credential: crm-api }
  - id: again
    action: http
    with: { url: "{{ env.API_URL }}/x/{{env.OTHER}}", credential: "{{trigger.body.c}}" }
`;

describe('templates', () => {
  it('bundles every example of workflows-examples', () => {
    const files = TEMPLATES.map((t) => t.file);
    expect(files).toContain('create-user.yaml');
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const t of TEMPLATES) expect(t.steps, t.file).toBeGreaterThan(0);
  });

  it('describes a template: trigger, steps, the credentials and env it needs', () => {
    const t = describeTemplate('tag.yaml', YAML)!;
    expect(t).toMatchObject({ name: 'Tag a user', description: 'Tags it.', trigger: 'webhook', steps: 2 });
    expect(t.credentials).toEqual(['crm-api', 'stripe-signing']);
    expect(t.env).toEqual(['API_URL', 'OTHER']);
    expect(describeTemplate('x.yaml', 'name: [')).toBeNull();
    expect(describeTemplate('x.yaml', 'steps: []')).toBeNull();
  });

  it('renames a template whose name is taken, keeping its comments', () => {
    expect(withFreeName(YAML, 'Tag a user', new Set())).toEqual({ text: YAML, name: 'Tag a user' });
    const renamed = withFreeName(YAML, 'Tag a user', new Set(['Tag a user', 'Tag a user 2']));
    expect(renamed.name).toBe('Tag a user 3');
    expect(renamed.text).toContain('name: Tag a user 3');
    expect(renamed.text).toContain('# a comment');
  });
});
