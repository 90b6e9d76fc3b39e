// Dragging a field of the data picker onto a template field: the reference travels as plain text
// (the browser drops it where the pointer is) and as our own type, so the field knows it is one.
import type { DragEvent } from 'react';
import { reference } from './completion';

export const REF_TYPE = 'application/x-weft-reference';

export function startReferenceDrag(e: DragEvent, path: string): void {
  const ref = reference(path);
  e.dataTransfer.setData('text/plain', ref);
  e.dataTransfer.setData(REF_TYPE, ref);
  e.dataTransfer.effectAllowed = 'copy';
}

/** The offset in a text field's value under the pointer (`null` when the browser cannot say). */
export function caretAt(el: HTMLInputElement | HTMLTextAreaElement, x: number, y: number): number | null {
  const doc = document as Document & { caretPositionFromPoint?: (x: number, y: number) => { offsetNode: Node; offset: number } | null };
  const pos = doc.caretPositionFromPoint?.(x, y);
  if (pos && (pos.offsetNode === el || el.contains(pos.offsetNode))) return pos.offset;
  return null;
}
