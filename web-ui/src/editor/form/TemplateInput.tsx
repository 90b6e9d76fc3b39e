// A text field for values that may hold `{{…}}` templates: typing inside `{{` offers the paths
// the step can read (upstream steps, trigger, item, env, helpers), from real data when known.
import { useEnvironment } from '../../features/environment/hooks';
import { outputSchemas, useActions } from '../../features/actions/hooks';
import { referenceForJson } from './jsonText';
import { REF_TYPE, caretAt } from '../dragRef';
import { Braces } from 'lucide-react';
import { useId, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import {
  applyCompletion,
  completionsFor,
  filterCompletions,
  tokenAt,
  type Completion,
  type TemplateToken,
} from '../completion';
import { currentDocument, useEditor } from '../store';
import { sampleData, usePins } from '../pins';
import { TemplatePreview } from './TemplatePreview';

// The field that last had focus: the data picker inserts references there.
interface ActiveField {
  stepId: string | null;
  insert: (text: string) => void;
}

let activeField: ActiveField | null = null;

function setActiveField(field: ActiveField): void {
  activeField = field;
}

/** Inserts text at the cursor of the last focused template field of `stepId`. */
export function insertIntoActiveField(stepId: string | null, text: string): boolean {
  if (!activeField || activeField.stepId !== stepId) return false;
  activeField.insert(text);
  return true;
}

export function hasActiveField(stepId: string | null): boolean {
  return !!activeField && activeField.stepId === stepId;
}

export interface TemplateInputProps {
  id?: string;
  value: string;
  onChange: (value: string) => void;
  stepId: string | null;
  multiline?: boolean;
  rows?: number;
  placeholder?: string;
  invalid?: boolean;
  readOnly?: boolean;
  testId?: string;
  label?: string;
  className?: string;
  onBlur?: () => void;
  /** The value is JSON text: a reference inserted outside a string is quoted. */
  json?: boolean;
}

const KIND_LABEL: Record<Completion['kind'], string> = {
  trigger: 'trigger',
  step: 'step',
  item: 'item',
  execution: 'execution',
  env: 'env',
  helper: 'helper',
};

export function TemplateInput({ id, value, onChange, stepId, multiline, rows = 3, placeholder, invalid, readOnly, testId, label, className, onBlur, json }: TemplateInputProps) {
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const selection = useRef({ start: value.length, end: value.length });
  const listId = useId();
  const [menu, setMenu] = useState<{ token: TemplateToken; items: Completion[]; active: number } | null>(null);
  const placeCursor = (cursor: number) => {
    const el = ref.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(cursor, cursor);
  };

  function remember() {
    const el = ref.current;
    if (el) selection.current = { start: el.selectionStart ?? el.value.length, end: el.selectionEnd ?? el.value.length };
  }

  function refresh(text: string, cursor: number) {
    const token = tokenAt(text, cursor);
    if (!token) return setMenu(null);
    const s = useEditor.getState();
    const all = completionsFor({ doc: currentDocument(), stepId, lastRun: sampleData(s.lastRun, usePins.getState()), env: useEnvironment.getState().variables, outputSchemas: outputSchemas(useActions.getState().actions) });
    const items = filterCompletions(all, token.prefix, 40);
    setMenu(items.length ? { token, items, active: 0 } : null);
  }

  function accept(item: Completion) {
    const el = ref.current;
    if (!el || !menu) return;
    const next = applyCompletion(el.value, menu.token, item.label);
    onChange(next.text);
    setMenu(null);
    window.requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(next.cursor, next.cursor);
      selection.current = { start: next.cursor, end: next.cursor };
      // keep completing deeper paths (`steps.x.` → its fields)
      if (item.label.endsWith('.') || item.kind === 'helper') refresh(next.text, next.cursor);
    });
  }

  function onKeyDown(e: KeyboardEvent) {
    if (!menu) {
      if (e.key === ' ' && e.ctrlKey) {
        e.preventDefault();
        const el = ref.current!;
        refresh(el.value, el.selectionStart ?? el.value.length);
      }
      return;
    }
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const d = e.key === 'ArrowDown' ? 1 : -1;
      setMenu({ ...menu, active: (menu.active + d + menu.items.length) % menu.items.length });
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      e.preventDefault();
      accept(menu.items[menu.active]);
    } else if (e.key === 'Escape') {
      e.stopPropagation();
      setMenu(null);
    }
  }

  function insertBraces() {
    const el = ref.current;
    if (!el) return;
    const { start, end } = selection.current;
    const text = `${el.value.slice(0, start)}{{${el.value.slice(end)}`;
    onChange(text);
    window.requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(start + 2, start + 2);
      selection.current = { start: start + 2, end: start + 2 };
      refresh(text, start + 2);
    });
  }

  const common = {
    id,
    ref,
    value,
    placeholder,
    readOnly,
    spellCheck: false,
    autoComplete: 'off',
    'aria-label': label,
    'aria-invalid': invalid || undefined,
    'aria-autocomplete': 'list' as const,
    'aria-expanded': !!menu,
    'aria-controls': menu ? listId : undefined,
    'aria-activedescendant': menu ? `${listId}-${menu.active}` : undefined,
    role: 'combobox',
    'data-testid': testId,
    className: `${multiline ? 'code-area code-area--sm' : ''} ${className ?? ''}`.trim() || undefined,
    onChange: (e: { target: { value: string; selectionStart: number | null } }) => {
      onChange(e.target.value);
      selection.current = { start: e.target.selectionStart ?? 0, end: e.target.selectionStart ?? 0 };
      refresh(e.target.value, e.target.selectionStart ?? e.target.value.length);
    },
    onDragOver: (e: DragEvent) => {
      if (!readOnly && e.dataTransfer.types.includes(REF_TYPE)) {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
      }
    },
    onDrop: (e: DragEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      const dropped = e.dataTransfer.getData(REF_TYPE);
      if (!dropped || readOnly) return;
      e.preventDefault();
      const el = e.currentTarget;
      const text = el.value;
      // Where the pointer is in the text; else at the end.
      const at = Math.min(caretAt(el, e.clientX, e.clientY) ?? text.length, text.length);
      // In JSON outside a string it goes in quoted.
      const inserted = json ? referenceForJson(text, at, dropped) : dropped;
      const next = `${text.slice(0, at)}${inserted}${text.slice(at)}`;
      onChange(next);
      const cursor = at + inserted.length;
      selection.current = { start: cursor, end: cursor };
      window.requestAnimationFrame(() => placeCursor(cursor));
    },
    onKeyDown,
    onKeyUp: remember,
    onClick: remember,
    onSelect: remember,
    onFocus: () => {
      setActiveField({
        stepId,
        insert: (text: string) => {
          const el = ref.current;
          if (!el) return;
          const { start, end } = selection.current;
          if (json) text = referenceForJson(el.value, start, text);
          const next = `${el.value.slice(0, start)}${text}${el.value.slice(end)}`;
          onChange(next);
          const cursor = start + text.length;
          selection.current = { start: cursor, end: cursor };
          window.requestAnimationFrame(() => {
            el.focus();
            el.setSelectionRange(cursor, cursor);
          });
        },
      });
    },
    onBlur: () => {
      remember();
      window.setTimeout(() => setMenu(null), 150);
      onBlur?.();
    },
  };

  return (
    <div className={`template-input${menu ? ' is-open' : ''}`}>
      {multiline ? <textarea rows={rows} {...common} /> : <input type="text" {...common} />}
      {!readOnly && (
        <button
          type="button"
          className="template-input__braces"
          tabIndex={-1}
          aria-label="Insert a template expression"
          title="Insert {{ }} and pick a value"
          onMouseDown={(e) => e.preventDefault()}
          onClick={insertBraces}
        >
          <Braces size={13} aria-hidden />
        </button>
      )}
      <TemplatePreview value={value} />
      {menu && (
        <ul className="completions" role="listbox" id={listId} data-testid="completions">
          {menu.items.map((item, i) => (
            <li
              key={item.label}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === menu.active}
              className={i === menu.active ? 'is-active' : undefined}
              data-testid={`completion-${item.label}`}
              onMouseDown={(e) => {
                e.preventDefault();
                accept(item);
              }}
            >
              <span className={`completions__kind is-${item.kind}`}>{KIND_LABEL[item.kind]}</span>
              <span className="completions__label">{item.label}</span>
              {item.detail && <span className="completions__detail">{item.detail}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
