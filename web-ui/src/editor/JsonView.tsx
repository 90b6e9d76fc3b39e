// JSON shown as a collapsible tree, with copy; with `onPick`, every key is a button that picks
// its path (the data picker inserts `{{path}}` into a field).
import { startReferenceDrag } from './dragRef';
import type { ReactNode } from 'react';
import { CopyButton } from '../app/ui';
import { segment } from './completion';

interface Props {
  value: unknown;
  /** The template path of the value, e.g. `steps.create_user`. */
  path?: string;
  onPick?: (path: string) => void;
  /** Levels open at first. */
  open?: number;
  title?: ReactNode;
  testId?: string;
}

export function JsonView({ value, path = '', onPick, open = 2, title, testId }: Props) {
  return (
    <div className="json-view" data-testid={testId}>
      <div className="json-view__bar">
        <span className="json-view__title">{title}</span>
        <CopyButton text={value === undefined ? '' : JSON.stringify(value, null, 2)} label="Copy JSON" />
      </div>
      <div className="json-view__body">
        {value === undefined ? <span className="muted small">No data</span> : <JsonNode value={value} path={path} onPick={onPick} depth={0} open={open} />}
      </div>
    </div>
  );
}

function Leaf({ value }: { value: unknown }) {
  if (value === null) return <span className="j-null">null</span>;
  if (typeof value === 'string') return <span className="j-string">"{value}"</span>;
  if (typeof value === 'number') return <span className="j-number">{value}</span>;
  if (typeof value === 'boolean') return <span className="j-bool">{String(value)}</span>;
  return <span>{String(value)}</span>;
}

function Key({ name, path, onPick }: { name: string; path: string; onPick?: (p: string) => void }) {
  if (!onPick) return <span className="j-key">{name}</span>;
  return (
    <button
      type="button"
      className="j-key j-key--pick"
      title={`Insert {{${path}}} (click, or drag it onto a field)`}
      data-testid={`pick-${path}`}
      draggable
      onDragStart={(e) => startReferenceDrag(e, path)}
      onClick={(e) => {
        e.preventDefault();
        e.stopPropagation();
        onPick(path);
      }}
    >
      {name}
    </button>
  );
}

function JsonNode({ value, path, onPick, depth, open, name }: { value: unknown; path: string; onPick?: (p: string) => void; depth: number; open: number; name?: string }) {
  const isArr = Array.isArray(value);
  if (value !== null && typeof value === 'object') {
    const entries: [string, unknown][] = isArr ? (value as unknown[]).map((v, i) => [String(i), v]) : Object.entries(value as object);
    const summary = isArr ? `[${entries.length}]` : `{${entries.length}}`;
    const children = entries.map(([k, v]) => {
      const child = path ? `${path}.${segment(k)}` : segment(k);
      return <JsonNode key={k} name={k} value={v} path={child} onPick={onPick} depth={depth + 1} open={open} />;
    });
    if (name === undefined) return <div className="j-root">{entries.length ? children : <span className="j-null">{isArr ? '[]' : '{}'}</span>}</div>;
    return (
      <details className="j-branch" open={depth < open}>
        <summary>
          <Key name={name} path={path} onPick={onPick} /> <span className="j-summary">{summary}</span>
        </summary>
        <div className="j-children">{entries.length ? children : <span className="j-null">{isArr ? '[]' : '{}'}</span>}</div>
      </details>
    );
  }
  if (name === undefined) return <Leaf value={value} />;
  return (
    <div className="j-leaf">
      <Key name={name} path={path} onPick={onPick} />
      <span className="j-colon">:</span> <Leaf value={value} />
    </div>
  );
}
