import { useState } from 'react';
import { toast } from '../../../app/toast';
import { Button, Modal } from '../../../app/ui';
import type { Workflow } from '../../../lib/types';
import { describeError } from '../../../lib/http';
import { workflowsApi } from '../../workflows/api';
import { TEMPLATES, type Template, withFreeName } from '../templates';

/** The templates gallery: each example of `workflows-examples/` becomes a workflow in one click. */
export function TemplatesDialog({ taken, onClose, onCreated }: { taken: string[]; onClose: () => void; onCreated: (w: Workflow) => void }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});

  async function use(t: Template) {
    setBusy(t.file);
    setErrors((e) => ({ ...e, [t.file]: '' }));
    try {
      const { text } = withFreeName(t.text, t.name, new Set(taken));
      const created = await workflowsApi.create(text);
      toast.success(`Created “${created.name}” from the template.`);
      onCreated(created);
    } catch (e) {
      setErrors((x) => ({ ...x, [t.file]: describeError(e) }));
    } finally {
      setBusy(null);
    }
  }

  return (
    <Modal title="Start from a template" onClose={onClose} wide testId="templates-dialog">
      <p className="muted small">The examples shipped with Weft. A template becomes a new, inactive workflow you can change before activating it.</p>
      <ul className="templates">
        {TEMPLATES.map((t) => (
          <li key={t.file} className="templates__item" data-testid={`template-${t.file.replace(/\.ya?ml$/, '')}`}>
            <div className="templates__head">
              <strong>{t.name}</strong>
              <span className="muted small">
                {t.trigger} · {t.steps} step{t.steps === 1 ? '' : 's'}
              </span>
            </div>
            {t.description && <p className="templates__text small">{t.description}</p>}
            {(t.credentials.length > 0 || t.env.length > 0) && (
              <p className="muted small">
                {t.credentials.length > 0 && (
                  <>
                    Needs the credential{t.credentials.length > 1 ? 's' : ''} {t.credentials.map((c, i) => <span key={c}>{i > 0 && ', '}<code>{c}</code></span>)}
                    {t.env.length > 0 && '; '}
                  </>
                )}
                {t.env.length > 0 && (
                  <>
                    reads {t.env.map((v, i) => <span key={v}>{i > 0 && ', '}<code>env.{v}</code></span>)} (allowed by <code>WEFT_ALLOW_ENV</code>)
                  </>
                )}
              </p>
            )}
            {errors[t.file] && (
              <p className="field__error" role="alert" data-testid="template-error">
                {errors[t.file]}
              </p>
            )}
            <div>
              <Button size="sm" variant="primary" busy={busy === t.file} disabled={busy !== null && busy !== t.file} onClick={() => void use(t)} data-testid="template-use">
                Use template
              </Button>
            </div>
          </li>
        ))}
      </ul>
    </Modal>
  );
}
