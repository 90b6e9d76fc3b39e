// The actions a step can run: click to add after the selected node, or drag onto the canvas.
import { ChevronDown, ChevronRight, PanelLeftClose, PanelLeftOpen, Plug, Search } from 'lucide-react';
import { IconButton } from '../app/ui';
import { useMemo, useState } from 'react';
import { useActionCatalog } from '../features/actions/hooks';
import { groupByConnector, matches } from '../features/connectors/api';
import type { ActionInfo } from '../lib/types';
import { ACTION_ORDER, actionMeta } from '../nodes/actions';
import { DRAG_TYPE } from './Canvas';
import { useEditor } from './store';

/** The most connector operations listed for one filter (refine it to see others). */
const MAX_SHOWN = 60;

export function Palette() {
  const { actions, error } = useActionCatalog();
  // Folded to an icon rail when the workflow already has steps, to leave room to the canvas.
  const [collapsed, setCollapsed] = useState(() => useEditor.getState().nodes.length > 1);
  const addStep = useEditor((s) => s.addStep);
  const readOnly = useEditor((s) => s.mode.kind !== 'draft');
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const groups = useMemo(() => groupByConnector(actions ?? []), [actions]);
  const kinds = useMemo(() => {
    const fromServer = actions?.filter((a) => !a.connector).map((a) => a.kind) ?? [];
    const all = [...new Set([...ACTION_ORDER.filter((k) => !actions || fromServer.includes(k)), ...fromServer])];
    return all.map((kind) => {
      const info = actions?.find((a) => a.kind === kind);
      const meta = actionMeta(kind);
      return { kind, title: meta.title !== kind ? meta.title : (info?.title ?? kind), description: meta.description || info?.description || '', meta };
    });
  }, [actions]);
  const q = query.trim().toLowerCase();
  const shown = q ? kinds.filter((k) => `${k.kind} ${k.title} ${k.description}`.toLowerCase().includes(q)) : kinds;
  // Connector operations: by connector (one open at a time) or, with a filter, every match.
  const found = useMemo(() => (q ? groups.flatMap((g) => g.actions.filter((a) => matches(a, q))) : []), [groups, q]);
  const item = (a: ActionInfo) => (
    <li key={a.kind}>
      <button
        type="button"
        className="palette__item palette__item--op"
        draggable={!readOnly}
        disabled={readOnly}
        data-testid={`palette-${a.kind}`}
        title={`${a.connector?.method} ${a.connector?.path} — ${a.kind}`}
        onDragStart={(e) => {
          e.dataTransfer.setData(DRAG_TYPE, a.kind);
          e.dataTransfer.effectAllowed = 'move';
        }}
        onClick={() => addStep(a.kind, {})}
      >
        <span className="palette__icon" style={{ background: '#0f766e' }} aria-hidden>
          <Plug size={14} />
        </span>
        <span className="palette__text">
          <span className="palette__title">{a.title}</span>
          <span className="palette__desc mono">
            {a.connector?.name} · {a.connector?.method} {a.connector?.path}
          </span>
        </span>
      </button>
    </li>
  );

  return (
    <aside className={`palette${collapsed ? ' is-collapsed' : ''}`} aria-label="Actions" data-testid="palette">
      <div className="palette__header">
        <div className="palette__title-row">
          {!collapsed && <h2>Actions</h2>}
          <IconButton
            icon={collapsed ? PanelLeftOpen : PanelLeftClose}
            label={collapsed ? 'Show action names' : 'Fold the actions'}
            onClick={() => setCollapsed(!collapsed)}
            aria-expanded={!collapsed}
            data-testid="palette-toggle"
          />
        </div>
        {!collapsed && (
          <div className="search search--sm">
            <Search size={14} aria-hidden />
            <input type="search" aria-label="Filter actions" placeholder="Filter" value={query} onChange={(e) => setQuery(e.target.value)} />
          </div>
        )}
      </div>
      <ul className="palette__list">
        {shown.map(({ kind, title, description, meta }) => (
          <li key={kind}>
            <button
              type="button"
              className="palette__item"
              draggable={!readOnly}
              disabled={readOnly}
              data-testid={`palette-${kind}`}
              title={`Add ${title} — click to add after the selected step, or drag onto the canvas`}
              onDragStart={(e) => {
                e.dataTransfer.setData(DRAG_TYPE, kind);
                e.dataTransfer.effectAllowed = 'move';
              }}
              onClick={() => addStep(kind, meta.defaults)}
            >
              <span className="palette__icon" style={{ background: meta.tint }} aria-hidden>
                <meta.icon size={16} />
              </span>
              {collapsed ? (
                <span className="visually-hidden">{title}</span>
              ) : (
                <span className="palette__text">
                  <span className="palette__title">{title}</span>
                  <span className="palette__desc">{description}</span>
                </span>
              )}
            </button>
          </li>
        ))}
      </ul>
      {!collapsed && groups.length > 0 && (
        <div className="palette__connectors" data-testid="palette-connectors">
          <h3 className="palette__group">Connectors</h3>
          {q ? (
            <>
              <ul className="palette__list">{found.slice(0, MAX_SHOWN).map(item)}</ul>
              <p className="palette__note muted small" data-testid="palette-connector-count">
                {found.length === 0 ? 'No operation matches.' : found.length > MAX_SHOWN ? `${MAX_SHOWN} of ${found.length} operations: refine the filter.` : `${found.length} operation${found.length === 1 ? '' : 's'}`}
              </p>
            </>
          ) : (
            groups.map((g) => (
              <div key={g.name}>
                <button type="button" className="palette__group-toggle" aria-expanded={open === g.name} onClick={() => setOpen(open === g.name ? null : g.name)} data-testid={`palette-connector-${g.name}`}>
                  {open === g.name ? <ChevronDown size={14} aria-hidden /> : <ChevronRight size={14} aria-hidden />}
                  {g.name} <span className="muted small">{g.actions.length}</span>
                </button>
                {open === g.name && <ul className="palette__list">{g.actions.slice(0, 200).map(item)}</ul>}
              </div>
            ))
          )}
        </div>
      )}
      {!collapsed && error && <p className="palette__note muted small">Showing the built-in actions: the catalog could not be loaded ({error}).</p>}
      {!collapsed && <p className="palette__note muted small">Tip: select a step, then click an action to add it after that step.</p>}
    </aside>
  );
}
