import { describe, expect, it } from 'vitest';
import { insideJsonString, referenceForJson, unquotedTemplate } from './jsonText';

describe('templates in JSON text', () => {
  const text = '{"email": "a@b", "n": 1, "q": "say \\"hi\\" "}';

  it('knows whether a position is inside a string, escapes included', () => {
    expect(insideJsonString(text, text.indexOf('a@b'))).toBe(true);
    expect(insideJsonString(text, text.indexOf('1'))).toBe(false);
    expect(insideJsonString(text, text.indexOf('hi'))).toBe(true);
    expect(insideJsonString(text, text.length - 1)).toBe(false);
  });

  it('quotes a reference inserted outside a string, not one inside', () => {
    const ref = '{{steps.a.body.id}}';
    expect(referenceForJson('{"id": ', 7, ref)).toBe('"{{steps.a.body.id}}"');
    expect(referenceForJson('{"id": "user-', 13, ref)).toBe(ref);
  });

  it('locates a template outside quotes', () => {
    expect(unquotedTemplate('{"id": "{{x}}"}')).toBeNull();
    expect(unquotedTemplate('{\n  "id": {{steps.a.body.id}}\n}')).toEqual({ line: 2, column: 9 });
  });
});
