import { Fragment, useEffect, useState } from 'react';
import { Modal } from './ui';
import { SHORTCUTS, isTyping, keyLabel } from './shortcuts';

const MAC = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

/** The keyboard shortcut sheet: `?` anywhere outside a field opens and closes it. */
export function ShortcutSheet() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '?' || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      e.preventDefault();
      setOpen((o) => !o);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  if (!open) return null;
  return (
    <Modal title="Keyboard shortcuts" onClose={() => setOpen(false)} testId="shortcut-sheet">
      {SHORTCUTS.map((group) => (
        <section key={group.where} className="shortcuts">
          <h3 className="shortcuts__where">{group.where}</h3>
          <dl className="shortcuts__list">
            {group.items.map((s) => (
              <Fragment key={`${s.keys.join('+')}-${s.does}`}>
                <dt>
                  {s.keys.map((k, i) => (
                    <Fragment key={k}>
                      {i > 0 && <span className="muted"> + </span>}
                      <kbd>{keyLabel(k, MAC)}</kbd>
                    </Fragment>
                  ))}
                </dt>
                <dd>{s.does}</dd>
              </Fragment>
            ))}
          </dl>
        </section>
      ))}
    </Modal>
  );
}
