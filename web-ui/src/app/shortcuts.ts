/** Whether a key press goes to a field the user is typing in (shortcuts leave it alone). */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

/** A shortcut as the sheet shows it: the keys (`Mod` is Ctrl, or ⌘ on a Mac) and what they do. */
export interface Shortcut {
  keys: string[];
  does: string;
}

/** Every shortcut, by where it works; the sheet (`?`) lists them from here. */
export const SHORTCUTS: { where: string; items: Shortcut[] }[] = [
  {
    where: 'Anywhere',
    items: [{ keys: ['?'], does: 'Show or hide this sheet' }],
  },
  {
    where: 'Editor',
    items: [
      { keys: ['Mod', 'S'], does: 'Save' },
      { keys: ['Mod', 'Z'], does: 'Undo' },
      { keys: ['Mod', 'Shift', 'Z'], does: 'Redo' },
      { keys: ['Mod', 'Y'], does: 'Redo' },
      { keys: ['Mod', 'C'], does: 'Copy the selected steps' },
      { keys: ['Mod', 'V'], does: 'Paste steps' },
      { keys: ['Mod', 'A'], does: 'Select every step' },
      { keys: ['Delete'], does: 'Delete the selection' },
      { keys: ['Esc'], does: 'Clear the selection, close a dialog' },
    ],
  },
  {
    where: 'Template fields',
    items: [
      { keys: ['{{'], does: 'Suggest data from the trigger, earlier steps and env' },
      { keys: ['Ctrl', 'Space'], does: 'Suggest data at the cursor' },
      { keys: ['↑ / ↓'], does: 'Move through the suggestions' },
      { keys: ['Enter'], does: 'Insert the suggestion (Tab too)' },
    ],
  },
];

/** `Mod` as this platform names it. */
export function keyLabel(key: string, mac: boolean): string {
  if (key === 'Mod') return mac ? '⌘' : 'Ctrl';
  return key;
}
