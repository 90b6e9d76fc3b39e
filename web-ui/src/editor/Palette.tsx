// The actions a step can run: click to add after the selected node, or drag onto the canvas.
import { PanelLeftClose, PanelLeftOpen, Search } from 'lucide-react';
import { IconButton } from '../app/ui';
import { useMemo, useState } from 'react';
import { useActionCatalog } from '../features/actions/hooks';
import { ACTION_ORDER, actionMeta } from '../nodes/actions';
import { DRAG_TYPE } from './Canvas';
import { useEditor } from './store';

export function Palette() {
  const { actions, error } = useActionCatalog();
  // Folded to an icon rail when the workflow already has steps, to leave room to the canvas.
  const [collapsed, setCollapsed] = useState(() => useEditor.getState().nodes.length > 1);
  const addStep = useEditor((s) => s.addStep);
  const readOnly = useEditor((s) => s.mode.kind !== 'draft');
  const [query, setQuery] = useState('');
  const kinds = useMemo(() => {
    const fromServer = actions?.map((a) => a.kind) ?? [];
    const all = [...new Set([...ACTION_ORDER.filter((k) => !actions || fromServer.includes(k)), ...fromServer])];
    return all.map((kind) => {
      const info = actions?.find((a) => a.kind === kind);
      const meta = actionMeta(kind);
      return { kind, title: meta.title !== kind ? meta.title : (info?.title ?? kind), description: meta.description || info?.description || '', meta };
    });
  }, [actions]);
  const q = query.trim().toLowerCase();
  const shown = q ? kinds.filter((k) => `${k.kind} ${k.title} ${k.description}`.toLowerCase().includes(q)) : kinds;

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
      {!collapsed && error && <p className="palette__note muted small">Showing the built-in actions: the catalog could not be loaded ({error}).</p>}
      {!collapsed && <p className="palette__note muted small">Tip: select a step, then click an action to add it after that step.</p>}
    </aside>
  );
}
