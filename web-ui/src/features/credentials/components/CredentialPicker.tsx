import { Link2, Plus } from 'lucide-react';
import { useState } from 'react';
import { Button } from '../../../app/ui';
import { toast } from '../../../app/toast';
import { useConnect, useCredentialList } from '../hooks';
import { canConnect, hostOfUrl } from '../model';
import { CredentialDialog } from './CredentialDialog';

/**
 * Picks a stored credential by name, or creates one in place ("New credential…", selected once
 * created). Lists what the server knows; a name it does not know (e.g. one created later) is
 * kept and can still be typed in. A chosen credential that is not usable (an OAuth2 one not
 * connected, or whose refresh was refused) says so, with its Connect button.
 */
export function CredentialPicker({
  id,
  value,
  onChange,
  readOnly,
  invalid,
  testId,
  kinds,
  placeholder,
  url,
}: {
  id: string;
  value: string;
  onChange: (name: string | undefined) => void;
  readOnly?: boolean;
  invalid?: boolean;
  testId?: string;
  /** Only credentials of these types fit here (all when absent); a new one is one of them. */
  kinds?: string[];
  placeholder?: string;
  /** The URL the credential will be sent to (a step's `with.url`): its host is the new
   * credential's first allowed host, unless it is a template. */
  url?: unknown;
}) {
  const all = useCredentialList();
  const options = all.filter((c) => !kinds || kinds.includes(c.type));
  const chosen = all.find((c) => c.name === value);
  const [creating, setCreating] = useState(false);
  const { connect, waiting } = useConnect();
  const listId = `${id}-options`;
  return (
    <>
      <div className="cred-picker">
        <input
          id={id}
          list={listId}
          value={value}
          readOnly={readOnly}
          placeholder={placeholder ?? (options.length ? 'Choose or type a credential name' : 'Credential name')}
          aria-invalid={invalid || undefined}
          data-testid={testId}
          autoComplete="off"
          onChange={(e) => onChange(e.target.value || undefined)}
        />
        {!readOnly && (
          <Button size="sm" icon={Plus} onClick={() => setCreating(true)} title="Create a credential and use it here" data-testid={`${testId ?? id}-new`}>
            New credential…
          </Button>
        )}
      </div>
      <datalist id={listId}>
        {options.map((c) => (
          <option key={c.name} value={c.name}>
            {c.type}
          </option>
        ))}
      </datalist>
      {chosen && chosen.status && chosen.status !== 'ok' && (
        <div className={`cred-picker__status cred-picker__status--${chosen.status}`} role="status" data-testid={`${testId ?? id}-status`} data-status={chosen.status}>
          <span>
            {chosen.status === 'needs_reconnect' ? 'Needs reconnecting' : 'Not connected yet'}
            {chosen.status_message ? `: ${chosen.status_message}` : '.'}
            {waiting === chosen.name && ' Waiting for the provider…'}
          </span>
          {canConnect(chosen) && !readOnly && !chosen.read_only && (
            <Button size="sm" icon={Link2} onClick={() => void connect(chosen.name).catch((e) => toast.error(`Could not connect “${chosen.name}”.`, e))} data-testid={`${testId ?? id}-connect`}>
              {chosen.status === 'not_connected' ? 'Connect' : 'Reconnect'}
            </Button>
          )}
        </div>
      )}
      {creating && (
        <CredentialDialog
          kinds={kinds}
          initial={{ hosts: hostOfUrl(url) }}
          onClose={() => setCreating(false)}
          onSaved={(c) => onChange(c.name)}
        />
      )}
    </>
  );
}
