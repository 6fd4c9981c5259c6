/** Small building blocks every page uses: async loading with its three states, error box, pager, badges. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n/pt-BR.ts';

export interface Async<T> {
  data: T | undefined;
  error: Error | null;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change; keeps the last data while reloading; ignores answers of stale runs. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error: Error | null; loading: boolean }>({
    error: null,
    loading: true,
  });
  const run = useRef(0);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const my = ++run.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => my === run.current && setState({ data, error: null, loading: false }),
      (error: Error) => my === run.current && setState((s) => ({ ...s, error, loading: false })),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export function Loading() {
  return (
    <p class="state loading" aria-busy="true">
      {t.common.loading}
    </p>
  );
}

export function Empty({ text }: { text?: string }) {
  return <p class="state empty">{text ?? t.common.empty}</p>;
}

export function ErrorBox({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  return (
    <div class="state error" role="alert">
      <strong>{t.errors.title}:</strong> {error.message}
      {onRetry && (
        <button type="button" class="link" onClick={onRetry}>
          {t.common.retry}
        </button>
      )}
    </div>
  );
}

/** Loading / error / empty around content built from the data. */
export function View<T>({
  state,
  empty,
  isEmpty,
  children,
}: {
  state: Async<T>;
  empty?: string;
  isEmpty?: (d: T) => boolean;
  children: (d: T) => ComponentChildren;
}) {
  if (state.error) return <ErrorBox error={state.error} onRetry={state.reload} />;
  if (state.data === undefined) return <Loading />;
  if (isEmpty?.(state.data)) return <Empty text={empty} />;
  return <>{children(state.data)}</>;
}

export function Section({
  title,
  children,
  actions,
}: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section class="card">
      <header class="card-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

export function Pager({
  total,
  limit,
  offset,
  onPage,
}: {
  total: number;
  limit: number;
  offset: number;
  onPage: (offset: number) => void;
}) {
  if (total <= limit) return null;
  return (
    <nav class="pager">
      <button type="button" disabled={offset === 0} onClick={() => onPage(Math.max(0, offset - limit))}>
        {t.common.previous}
      </button>
      <span>{t.common.pageOf(offset + 1, Math.min(total, offset + limit), total)}</span>
      <button type="button" disabled={offset + limit >= total} onClick={() => onPage(offset + limit)}>
        {t.common.next}
      </button>
    </nav>
  );
}

/** A completeness figure coloured by how far from 100% it is. */
export function PctBadge({ pct }: { pct: number | null | undefined }) {
  if (pct === null || pct === undefined) return <span class="badge">—</span>;
  const cls = pct >= 100 ? 'ok' : pct >= 95 ? 'warn' : 'bad';
  return <span class={`badge ${cls}`}>{`${pct.toLocaleString('pt-BR', { maximumFractionDigits: 2 })}%`}</span>;
}

export function StatusBadge({ status, label }: { status: string; label: string }) {
  return <span class={`badge st-${status}`}>{label}</span>;
}

/** Shows a transient message after an action. */
export function Notice({ text, kind = 'ok' }: { text: string | null; kind?: 'ok' | 'error' }) {
  if (!text) return null;
  return (
    <p class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {text}
    </p>
  );
}

/**
 * The "De" / "Até" pair of date inputs of every range form. Inputs are named `from`/`to`, or `<name>-from` and
 * `<name>-to` when a page has several ranges.
 */
export function DateRange({
  from,
  to,
  onFrom,
  onTo,
  name,
  required,
}: {
  from: string;
  to: string;
  onFrom: (day: string) => void;
  onTo: (day: string) => void;
  name?: string;
  required?: boolean;
}) {
  const prefix = name ? `${name}-` : '';
  return (
    <>
      <label>
        {t.common.from}
        <input
          type="date"
          name={`${prefix}from`}
          required={required}
          value={from}
          onInput={(e) => onFrom(e.currentTarget.value)}
        />
      </label>
      <label>
        {t.common.to}
        <input
          type="date"
          name={`${prefix}to`}
          required={required}
          value={to}
          onInput={(e) => onTo(e.currentTarget.value)}
        />
      </label>
    </>
  );
}
