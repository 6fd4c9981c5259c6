/** Pontos: the point list with search and filters (kept in the URL) and yesterday's completeness of each. */
import { useState } from 'preact/hooks';
import { get, type Page, type Point, type PointCompleteness } from '../api.ts';
import { Pager, PctBadge, Section, useAsync, View } from '../components/ui.tsx';
import { addDays, today } from '../format.ts';
import { t } from '../i18n/pt-BR.ts';
import { href, navigate, type Route } from '../router.ts';

const LIMIT = 50;
const FILTERS = ['q', 'segment', 'status', 'substation', 'tag'] as const;

export function Pontos({ route }: { route: Route }) {
  const f = Object.fromEntries(FILTERS.map((k) => [k, route.query.get(k) ?? ''])) as Record<
    (typeof FILTERS)[number],
    string
  >;
  const offset = Number(route.query.get('offset') ?? 0) || 0;
  const [draft, setDraft] = useState(f);
  const yday = addDays(today(), -1);
  const key = JSON.stringify([f, offset]);

  const points = useAsync(
    () =>
      get<Page<Point>>('/points', {
        q: f.q,
        segment: f.segment,
        status: f.status || 'active',
        substation: f.substation,
        tag: f.tag,
        limit: LIMIT,
        offset,
      }),
    [key],
  );
  const completeness = useAsync(
    () =>
      f.status === 'retired'
        ? Promise.resolve({ items: [] as PointCompleteness[] })
        : get<Page<PointCompleteness>>('/completeness', {
            from: yday,
            to: yday,
            q: f.q,
            segment: f.segment,
            substation: f.substation,
            tag: f.tag,
            limit: LIMIT,
            offset,
          }),
    [key],
  );
  const pct = new Map((completeness.data?.items ?? []).map((c) => [c.code, c.percent]));

  const apply = (e: Event) => {
    e.preventDefault();
    navigate('/pontos', { ...draft });
  };
  const set = (k: (typeof FILTERS)[number]) => (e: Event) =>
    setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });

  return (
    <div class="page">
      <h1>{t.pontos.title}</h1>
      <form class="filters card" onSubmit={apply}>
        <label class="grow">
          {t.common.search}
          <input type="search" value={draft.q} placeholder={t.pontos.searchPlaceholder} onInput={set('q')} />
        </label>
        <label>
          {t.pontos.segment}
          <select value={draft.segment} onChange={set('segment')}>
            <option value="">{t.common.all}</option>
            {Object.entries(t.segments).map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.pontos.status}
          <select value={draft.status || 'active'} onChange={set('status')}>
            <option value="active">{t.pontos.active}</option>
            <option value="retired">{t.pontos.retired}</option>
            <option value="all">{t.common.all}</option>
          </select>
        </label>
        <label>
          {t.pontos.substation}
          <input value={draft.substation} onInput={set('substation')} />
        </label>
        <label>
          {t.pontos.tag}
          <input value={draft.tag} onInput={set('tag')} />
        </label>
        <div class="buttons">
          <button type="submit" class="primary">
            {t.common.apply}
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft({ q: '', segment: '', status: '', substation: '', tag: '' });
              navigate('/pontos');
            }}
          >
            {t.common.clear}
          </button>
        </div>
      </form>
      <Section title={t.nav.pontos}>
        <View state={points} isEmpty={(d) => d.items.length === 0} empty={t.pontos.empty}>
          {(d) => (
            <>
              <div class="table-wrap">
                <table class="points">
                  <thead>
                    <tr>
                      <th>{t.point.code}</th>
                      <th>{t.point.name}</th>
                      <th>{t.point.segment}</th>
                      <th>{t.point.substation}</th>
                      <th>{t.point.tags}</th>
                      <th>{t.pontos.completenessYesterday}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.items.map((p) => (
                      <tr key={p.code}>
                        <td>
                          <a href={href(`/ponto/${p.code}`)}>{p.code}</a>
                        </td>
                        <td>
                          {p.name}
                          {p.status === 'retired' && <span class="badge"> {t.point.retired}</span>}
                        </td>
                        <td>{t.segments[p.segment] ?? p.segment}</td>
                        <td>{p.substation ?? t.common.none}</td>
                        <td>{p.tags.join(', ')}</td>
                        <td>{completeness.loading && !pct.has(p.code) ? '…' : <PctBadge pct={pct.get(p.code)} />}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager
                total={d.total}
                limit={LIMIT}
                offset={offset}
                onPage={(o) => navigate('/pontos', { ...f, offset: String(o) })}
              />
            </>
          )}
        </View>
      </Section>
    </div>
  );
}
