/**
 * Form fields that keep what is being typed locally and commit only valid
 * values: numbers as they are typed (so shapes follow at once), text and
 * lists when the field is left.
 */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { formatList, parseIntList, parseNumber } from './param-values.ts';

function Field({ id, label, hint, error, children, inline }: { id: string; label: string; hint?: string; error?: string; children: ReactNode; inline?: boolean }) {
  return (
    <div className={`field${inline ? ' field-inline' : ''}${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? (
        <div className="field-error" role="alert">
          {error}
        </div>
      ) : hint ? (
        <div className="field-hint">{hint}</div>
      ) : null}
    </div>
  );
}

/** Counts focus sessions, so edits typed in one visit to a field merge into one undo step. */
let sessions = 0;

export function NumberField(props: {
  label: string;
  testId: string;
  value: number | undefined;
  integer: boolean;
  optional?: boolean;
  min?: number;
  max?: number;
  hint?: string;
  /** Extra checks (the schema); returns a message or undefined. */
  validate?: (value: number | undefined) => string | undefined;
  commit: (value: number | undefined, group: string) => void;
}) {
  const id = useId();
  const shown = props.value === undefined ? '' : String(props.value);
  const [text, setText] = useState(shown);
  const [error, setError] = useState<string | undefined>();
  const session = useRef('');
  const focused = useRef(false);
  // Follow outside changes (undo, another field) unless the person is typing here.
  useEffect(() => {
    if (!focused.current) {
      setText(shown);
      setError(undefined);
    }
  }, [shown]);

  const check = (t: string) => {
    const parsed = parseNumber(t, { integer: props.integer, optional: props.optional ?? false });
    if (!parsed.ok) return parsed;
    const v = parsed.value;
    if (v !== undefined && props.min !== undefined && v < props.min) return { ok: false as const, error: `At least ${props.min}.` };
    if (v !== undefined && props.max !== undefined && v > props.max) return { ok: false as const, error: `At most ${props.max}.` };
    const issue = props.validate?.(v);
    return issue ? { ok: false as const, error: issue } : parsed;
  };

  return (
    <Field id={id} label={props.label} hint={props.hint} error={error}>
      <input
        id={id}
        type="number"
        inputMode={props.integer ? 'numeric' : 'decimal'}
        step={props.integer ? 1 : 'any'}
        min={props.min}
        max={props.max}
        value={text}
        placeholder={props.optional ? 'default' : undefined}
        data-testid={props.testId}
        aria-invalid={error ? true : undefined}
        onFocus={() => {
          focused.current = true;
          session.current = `${props.testId}#${++sessions}`;
        }}
        onChange={(e) => {
          const t = e.target.value;
          setText(t);
          const result = check(t);
          setError(result.ok ? undefined : result.error);
          if (result.ok && result.value !== props.value) props.commit(result.value, session.current);
        }}
        onBlur={() => {
          focused.current = false;
          // What could not be used goes back to the value in the document.
          setText(shown);
          setError(undefined);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') e.currentTarget.blur();
        }}
      />
    </Field>
  );
}

export function TextField(props: {
  label: string;
  testId: string;
  value: string;
  hint?: string;
  multiline?: boolean;
  placeholder?: string;
  validate?: (text: string) => string | undefined;
  commit: (text: string) => void;
}) {
  const id = useId();
  const [text, setText] = useState(props.value);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setText(props.value);
    setError(undefined);
  }, [props.value]);

  const finish = () => {
    if (text === props.value) return setError(undefined);
    const issue = props.validate?.(text);
    if (issue) return setError(issue);
    setError(undefined);
    props.commit(text);
  };
  const common = {
    id,
    value: text,
    placeholder: props.placeholder,
    'data-testid': props.testId,
    'aria-invalid': error ? true : undefined,
    onBlur: finish,
  };
  return (
    <Field id={id} label={props.label} hint={props.hint} error={error}>
      {props.multiline ? (
        <textarea {...common} rows={4} onChange={(e) => setText(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setText(props.value)} />
      ) : (
        <input
          {...common}
          type="text"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') finish();
            if (e.key === 'Escape') {
              setText(props.value);
              setError(undefined);
            }
          }}
        />
      )}
    </Field>
  );
}

/** Whole numbers separated by commas, checked when the field is left. */
export function IntListField(props: {
  label: string;
  testId: string;
  value: unknown;
  hint?: string;
  validate?: (value: number[]) => string | undefined;
  commit: (value: number[]) => void;
}) {
  return (
    <TextField
      label={props.label}
      testId={props.testId}
      value={formatList(props.value)}
      hint={props.hint}
      validate={(text) => {
        const parsed = parseIntList(text);
        return parsed.ok ? props.validate?.(parsed.value) : parsed.error;
      }}
      commit={(text) => {
        const parsed = parseIntList(text);
        if (parsed.ok) props.commit(parsed.value);
      }}
    />
  );
}

export function SelectField<T extends string>(props: {
  label: string;
  testId: string;
  value: T | undefined;
  options: readonly { value: T; label?: string }[];
  hint?: string;
  placeholder?: string;
  commit: (value: T) => void;
}) {
  const id = useId();
  return (
    <Field id={id} label={props.label} hint={props.hint}>
      <select id={id} value={props.value ?? ''} data-testid={props.testId} onChange={(e) => props.commit(e.target.value as T)}>
        {props.value === undefined ? <option value="">{props.placeholder ?? 'Choose…'}</option> : null}
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label ?? o.value}
          </option>
        ))}
      </select>
    </Field>
  );
}

export function CheckField(props: { label: string; testId: string; value: boolean; hint?: string; commit: (value: boolean) => void }) {
  const id = useId();
  return (
    <Field id={id} label={props.label} hint={props.hint} inline>
      <input id={id} type="checkbox" checked={props.value} data-testid={props.testId} onChange={(e) => props.commit(e.target.checked)} />
    </Field>
  );
}
