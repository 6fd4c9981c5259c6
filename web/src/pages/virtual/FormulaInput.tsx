/**
 * The formula field: a monospace textarea and, when the API refused the formula, the text again beneath it with the
 * offending span (details.column / details.length, 1-based) marked, plus the message. The textarea keeps the focus;
 * "ir ao erro" selects the span in it.
 */
import { useRef } from 'preact/hooks';
import { t } from '../../i18n/pt-BR.ts';

export interface FormulaProblem {
  message: string;
  /** 1-based column of the start of the span; null when the problem is not at one place. */
  column: number | null;
  length: number;
}

const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';

/** Splits the text around the marked span (an empty span marks the character after it, or the end). */
export function markSpan(text: string, column: number, length: number): [string, string, string] {
  const start = Math.min(Math.max(0, column - 1), text.length);
  const end = Math.min(text.length, start + Math.max(1, length));
  return [text.slice(0, start), text.slice(start, end), text.slice(end)];
}

export function FormulaInput({
  value,
  onInput,
  problem,
  disabled,
}: {
  value: string;
  onInput: (text: string) => void;
  problem: FormulaProblem | null;
  disabled?: boolean;
}) {
  const area = useRef<HTMLTextAreaElement>(null);
  const marked = problem && problem.column !== null ? markSpan(value, problem.column, problem.length) : null;
  const select = () => {
    const el = area.current;
    if (!el || !problem || problem.column === null) return;
    const start = problem.column - 1;
    el.focus();
    el.setSelectionRange(start, Math.min(value.length, start + Math.max(1, problem.length)));
  };
  return (
    <div class="formula-input">
      <label class="wide">
        {t.virtuais.formula}
        <textarea
          ref={area}
          name="formula"
          rows={3}
          spellcheck={false}
          autocomplete="off"
          disabled={disabled}
          value={value}
          aria-invalid={problem ? 'true' : 'false'}
          aria-describedby={problem ? 'formula-problem' : undefined}
          style={{ fontFamily: MONO, width: '100%', borderColor: problem ? '#dc2626' : undefined }}
          onInput={(e) => onInput(e.currentTarget.value)}
        />
      </label>
      <p class="hint">{t.virtuais.formulaHelp}</p>
      {problem && (
        <div id="formula-problem" class="formula-problem" role="alert">
          {marked && (
            <pre
              class="formula-mark"
              style={{ fontFamily: MONO, whiteSpace: 'pre-wrap', wordBreak: 'break-all', margin: '0.25rem 0' }}
            >
              {marked[0]}
              <mark
                style={{
                  background: 'rgba(220, 38, 38, 0.18)',
                  color: 'inherit',
                  textDecoration: 'underline wavy #dc2626',
                  textUnderlineOffset: '3px',
                  // An empty span (the end of the text) still shows where the problem is.
                  paddingRight: marked[1] === '' ? '0.6em' : undefined,
                }}
              >
                {marked[1]}
              </mark>
              {marked[2]}
            </pre>
          )}
          <p class="notice error" style={{ margin: 0 }}>
            {problem.column !== null ? `${t.virtuais.column(problem.column)}: ` : ''}
            {problem.message}{' '}
            {problem.column !== null && (
              <button type="button" class="link" onClick={select}>
                {t.virtuais.goToError}
              </button>
            )}
          </p>
        </div>
      )}
    </div>
  );
}
