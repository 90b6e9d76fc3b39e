import { useCredentialList } from '../hooks';

/**
 * Picks a stored credential by name. Lists what the server knows; a name it does not know (e.g.
 * one created later) is kept and can still be typed in.
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
}: {
  id: string;
  value: string;
  onChange: (name: string | undefined) => void;
  readOnly?: boolean;
  invalid?: boolean;
  testId?: string;
  /** Only credentials of these types fit here (all when absent). */
  kinds?: string[];
  placeholder?: string;
}) {
  const all = useCredentialList();
  const options = all.filter((c) => !kinds || kinds.includes(c.type));
  const listId = `${id}-options`;
  return (
    <>
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
      <datalist id={listId}>
        {options.map((c) => (
          <option key={c.name} value={c.name}>
            {c.type}
          </option>
        ))}
      </datalist>
    </>
  );
}
