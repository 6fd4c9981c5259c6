/** Leituras: the read-session log with filters (point, meter, status, purpose, period) kept in the URL. */
import { useState } from 'preact/hooks';
import { get, type Page, type Session } from '../api.ts';
import { SessionTable } from '../components/Sessions.tsx';
import { DateRange, Pager, Section, useAsync, View } from '../components/ui.tsx';
import { t } from '../i18n/pt-BR.ts';
import { navigate, type Route } from '../router.ts';

const LIMIT = 50;
const FILTERS = ['point', 'meter', 'status', 'purpose', 'from', 'to'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/** A day typed in the filter (Brasília) as the instant it starts. */
const startOf = (day: string, plus = 0) =>
  day ? new Date(Date.parse(`${day}T00:00:00-03:00`) + plus * 86_400_000).toISOString() : undefined;

export function Leituras({ route }: { route: Route }) {
  const f = Object.fromEntries(FILTERS.map((k) => [k, route.query.get(k) ?? ''])) as Filters;
  const offset = Number(route.query.get('offset') ?? 0) || 0;
  const [draft, setDraft] = useState<Filters>(f);
  const key = JSON.stringify([f, offset]);
  const state = useAsync(
    () =>
      get<Page<Session>>('/sessions', {
        point: f.point.toUpperCase() || undefined,
        meter: f.meter,
        status: f.status ? [f.status] : undefined,
        purpose: f.purpose ? [f.purpose] : undefined,
        from: startOf(f.from),
        to: startOf(f.to, 1),
        limit: LIMIT,
        offset,
      }),
    [key],
  );
  const set = (k: keyof Filters) => (e: Event) =>
    setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });

  return (
    <div class="page">
      <h1>{t.sessions.title}</h1>
      <form
        class="filters card"
        onSubmit={(e) => {
          e.preventDefault();
          navigate('/leituras', draft);
        }}
      >
        <label>
          {t.sessions.point}
          <input name="point" value={draft.point} onInput={set('point')} maxLength={13} />
        </label>
        <label>
          {t.sessions.meter}
          <input name="meter" value={draft.meter} onInput={set('meter')} inputMode="numeric" />
        </label>
        <label>
          {t.sessions.status}
          <select value={draft.status} onChange={set('status')}>
            <option value="">{t.common.all}</option>
            {Object.entries(t.sessions.statuses).map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.sessions.purpose}
          <select value={draft.purpose} onChange={set('purpose')}>
            <option value="">{t.common.all}</option>
            {Object.entries(t.sessions.purposes).map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <DateRange
          from={draft.from}
          to={draft.to}
          onFrom={(from) => setDraft({ ...draft, from })}
          onTo={(to) => setDraft({ ...draft, to })}
        />
        <div class="buttons">
          <button type="submit" class="primary">
            {t.common.apply}
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft({ point: '', meter: '', status: '', purpose: '', from: '', to: '' });
              navigate('/leituras');
            }}
          >
            {t.common.clear}
          </button>
        </div>
      </form>
      <Section title={t.sessions.title}>
        <View state={state} isEmpty={(d) => d.items.length === 0} empty={t.sessions.empty}>
          {(d) => (
            <>
              <SessionTable sessions={d.items} />
              <Pager
                total={d.total}
                limit={LIMIT}
                offset={offset}
                onPage={(o) => navigate('/leituras', { ...f, offset: String(o) })}
              />
            </>
          )}
        </View>
      </Section>
    </div>
  );
}
