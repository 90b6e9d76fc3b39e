// Templates inside JSON text: a `{{…}}` must sit inside a JSON string, or the text is not JSON.

/** Whether `pos` in `text` is inside a JSON string literal (after an opening `"`). */
export function insideJsonString(text: string, pos: number): boolean {
  let inside = false;
  for (let i = 0; i < pos && i < text.length; i++) {
    const c = text[i];
    if (inside && c === '\\') i++;
    else if (c === '"') inside = !inside;
  }
  return inside;
}

/** `reference` as it must be inserted at `pos` of JSON text: quoted unless inside a string. */
export function referenceForJson(text: string, pos: number, reference: string): string {
  return insideJsonString(text, pos) ? reference : JSON.stringify(reference);
}

/** The first `{{` outside a JSON string, as a line and column (1-based); `null` if none. */
export function unquotedTemplate(text: string): { line: number; column: number } | null {
  let inside = false;
  let line = 1;
  let column = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inside && c === '\\') {
      i++;
      column += 2;
      continue;
    }
    if (c === '"') inside = !inside;
    else if (!inside && c === '{' && text[i + 1] === '{') return { line, column };
    if (c === '\n') {
      line++;
      column = 1;
    } else column++;
  }
  return null;
}
