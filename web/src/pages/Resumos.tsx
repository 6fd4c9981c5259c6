/**
 * Resumos: energy totals per channel by market segment or by group (tag), hourly, daily or monthly, with the
 * completeness of their inputs, and the CSV / XLSX downloads of the same query. The query lives in the URL.
 */
import { useState } from 'preact/hooks';
import { getSummary, type SummaryQuery, type SummaryResolution, summaryUrl } from '../api-virtual.ts';
import { DateRange, PctBadge, Section, useAsync, View } from '../components/ui.tsx';
import { addDays, fmtDay, fmtNum, today } from '../format.ts';
import { t } from '../i18n/pt-BR.ts';
import { navigate, type Route } from '../router.ts';

const CHANNELS = ['C', 'G', 'QC', 'QG'] as const;
// Checkboxes inline: the house styles make every label a column and every input a 2.2rem box.
const CHECK_LABEL = { flexDirection: 'row', alignItems: 'center', gap: '0.35rem', paddingBottom: '0.5rem' } as const;
const CHECKBOX = { minHeight: 0, padding: 0, margin: 0 } as const;
const FIELDSET = {
  display: 'flex',
  gap: '0.75rem',
  alignItems: 'center',
  border: '1px solid var(--line)',
  borderRadius: '6px',
  padding: '0 0.6rem',
  margin: 0,
} as const;
/** Period rows drawn at most; the downloads carry all of them. */
const MAX_ROWS = 500;

function queryOf(route: Route): SummaryQuery {
  const q = route.query;
  const to = q.get('to') || addDays(today(), -1);
  return {
    by: q.get('by') === 'tag' ? 'tag' : 'segment',
    name: q.get('name') || undefined,
    resolution: (['hour', 'day', 'month'].includes(q.get('resolution') ?? '')
      ? q.get('resolution')
      : 'day') as SummaryResolution,
    from: q.get('from') || addDays(to, -6),
    to,
    channels: q.get('channels') || undefined,
    includeVirtual: q.get('virtual') === '1' || undefined,
  };
}

/** A period label in pt-BR: mm/aaaa, dd/mm/aaaa, or dd/mm/aaaa hh:mm for an hour start. */
export function fmtPeriod(p: string): string {
  if (/^\d{4}-\d{2}$/.test(p)) return `${p.slice(5, 7)}/${p.slice(0, 4)}`;
  if (/^\d{4}-\d{2}-\d{2}$/.test(p)) return fmtDay(p);
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(p);
  return m ? `${fmtDay(m[1])} ${m[2]}` : p;
}

export function Resumos({ route }: { route: Route }) {
  const query = queryOf(route);
  const key = JSON.stringify(query);
  const [draft, setDraft] = useState({
    by: query.by,
    name: query.name ?? '',
    resolution: query.resolution,
    from: query.from,
    to: query.to,
    channels: new Set((query.channels ?? '').split(',').filter(Boolean)),
    virtual: query.includeVirtual === true,
  });
  const state = useAsync(() => getSummary(query), [key]);

  const apply = (e: Event) => {
    e.preventDefault();
    navigate('/resumos', {
      by: draft.by,
      name: draft.name.trim() || undefined,
      resolution: draft.resolution,
      from: draft.from,
      to: draft.to,
      channels: CHANNELS.filter((c) => draft.channels.has(c)).join(',') || undefined,
      virtual: draft.virtual ? '1' : undefined,
    });
  };
  const toggle = (c: string) => {
    const next = new Set(draft.channels);
    if (next.has(c)) next.delete(c);
    else next.add(c);
    setDraft({ ...draft, channels: next });
  };

  return (
    <div class="page">
      <h1>{t.resumos.title}</h1>
      <form class="filters card summary-form" onSubmit={apply}>
        <label>
          {t.resumos.by}
          <select
            name="by"
            value={draft.by}
            onChange={(e) => setDraft({ ...draft, by: e.currentTarget.value as 'segment' | 'tag', name: '' })}
          >
            <option value="segment">{t.resumos.bySegment}</option>
            <option value="tag">{t.resumos.byTag}</option>
          </select>
        </label>
        {draft.by === 'segment' ? (
          <label>
            {t.point.segment}
            <select
              name="name"
              value={draft.name}
              onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })}
            >
              <option value="">{t.common.all}</option>
              {Object.entries(t.segments).map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label>
            {t.pontos.tag}
            <input
              name="name"
              maxLength={50}
              placeholder={t.resumos.allTags}
              value={draft.name}
              onInput={(e) => setDraft({ ...draft, name: e.currentTarget.value })}
            />
          </label>
        )}
        <label>
          {t.resumos.resolution}
          <select
            name="resolution"
            value={draft.resolution}
            onChange={(e) => setDraft({ ...draft, resolution: e.currentTarget.value as SummaryResolution })}
          >
            {(['hour', 'day', 'month'] as const).map((r) => (
              <option key={r} value={r}>
                {t.resumos.resolutions[r]}
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
        <fieldset class="channels" style={FIELDSET}>
          <legend style={{ fontSize: '0.85rem' }}>{t.resumos.channels}</legend>
          {CHANNELS.map((c) => (
            <label key={c} class="check" style={CHECK_LABEL}>
              <input
                type="checkbox"
                name={`channel-${c}`}
                style={CHECKBOX}
                checked={draft.channels.has(c)}
                onChange={() => toggle(c)}
              />
              {c}
            </label>
          ))}
        </fieldset>
        <label class="check" style={CHECK_LABEL}>
          <input
            type="checkbox"
            name="virtual"
            style={CHECKBOX}
            checked={draft.virtual}
            onChange={(e) => setDraft({ ...draft, virtual: e.currentTarget.checked })}
          />
          {t.resumos.includeVirtual}
        </label>
        <div class="buttons">
          <button type="submit" class="primary">
            {t.common.apply}
          </button>
        </div>
      </form>
      <Section
        title={t.resumos.totals(fmtDay(query.from), fmtDay(query.to))}
        actions={
          <div class="downloads">
            <span>{t.ponto.downloads}:</span>
            <a href={summaryUrl(query, 'csv')} download>
              CSV
            </a>
            <a href={summaryUrl(query, 'xlsx')} download>
              XLSX
            </a>
          </div>
        }
      >
        <View state={state} isEmpty={(d) => d.rows.length === 0} empty={t.resumos.empty}>
          {(s) => (
            <>
              <div class="table-wrap">
                <table class="summary-totals">
                  <thead>
                    <tr>
                      <th>{s.by === 'segment' ? t.point.segment : t.pontos.tag}</th>
                      <th>{t.resumos.channel}</th>
                      <th class="num">{t.resumos.energy}</th>
                      <th>{t.resumos.completeness}</th>
                      <th class="num">{t.ponto.qualities.A}</th>
                      <th class="num">{t.ponto.qualities.S}</th>
                      <th class="num">{t.ponto.qualities.E}</th>
                      <th class="num">{t.ponto.qualities.M}</th>
                      <th class="num">{t.ponto.qualities.N}</th>
                      <th class="num">{t.resumos.points}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.totals.map((r) => (
                      <tr key={`${r.group}|${r.channel}`}>
                        <td>{s.by === 'segment' ? (t.segments[r.group] ?? r.group) : r.group}</td>
                        <td>
                          {r.channel} ({r.unit})
                        </td>
                        <td class="num">{fmtNum(r.energy, 3)}</td>
                        <td>
                          <PctBadge pct={Math.round(r.completeness * 10000) / 100} />
                        </td>
                        <td class="num">{r.actual}</td>
                        <td class="num">{r.substituted}</td>
                        <td class="num">{r.estimated}</td>
                        <td class="num">{r.manual}</td>
                        <td class="num">{r.missing}</td>
                        <td class="num">{r.points}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <h3>{t.resumos.perPeriod(t.resumos.resolutions[s.resolution])}</h3>
              {s.rows.length > MAX_ROWS && <p class="hint">{t.resumos.truncated(MAX_ROWS, s.rows.length)}</p>}
              <div class="table-wrap">
                <table class="summary-rows">
                  <thead>
                    <tr>
                      <th>{s.by === 'segment' ? t.point.segment : t.pontos.tag}</th>
                      <th>{t.resumos.channel}</th>
                      <th>{t.resumos.period}</th>
                      <th class="num">{t.resumos.energy}</th>
                      <th>{t.resumos.completeness}</th>
                      <th class="num">{t.resumos.pointsWithoutData}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.rows.slice(0, MAX_ROWS).map((r) => (
                      <tr key={`${r.group}|${r.channel}|${r.period}`}>
                        <td>{s.by === 'segment' ? (t.segments[r.group] ?? r.group) : r.group}</td>
                        <td>{r.channel}</td>
                        <td>{fmtPeriod(r.period)}</td>
                        <td class="num">
                          {fmtNum(r.energy, 3)} {r.unit}
                        </td>
                        <td>
                          <PctBadge pct={Math.round(r.completeness * 10000) / 100} />
                        </td>
                        <td class="num">{r.pointsWithoutData}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </View>
      </Section>
    </div>
  );
}
