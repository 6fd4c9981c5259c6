/**
 * Painel: what an analyst checks first each morning — completeness of yesterday and today (total and per point),
 * meters whose last reads failed (in a row) and why, open gaps and their state, recent events.
 */
import { type FailingMeter, type Gap, get, type MeterEvent, type Page, type PointCompleteness } from '../api.ts';
import { eventText } from '../components/events.ts';
import { PctBadge, Section, StatusBadge, useAsync, View } from '../components/ui.tsx';
import { addDays, fmtDateTime, fmtDay, today } from '../format.ts';
import { t } from '../i18n/pt-BR.ts';
import { href } from '../router.ts';

function totals(items: PointCompleteness[], day: string): number | null {
  let slots = 0;
  let filled = 0;
  for (const p of items) {
    const d = p.days.find((x) => x.day === day);
    if (!d) continue;
    slots += d.slots;
    filled += d.filled;
  }
  return slots === 0 ? null : Math.round((filled / slots) * 10_000) / 100;
}

const pctOf = (p: PointCompleteness, day: string) => p.days.find((d) => d.day === day)?.percent ?? null;

export function Painel() {
  const day = today();
  const yday = addDays(day, -1);
  const completeness = useAsync(
    () => get<Page<PointCompleteness>>('/completeness', { from: yday, to: day, limit: 1000 }),
    [day],
  );
  const failed = useAsync(() => get<Page<FailingMeter>>('/meters/failing', { limit: 50 }), []);
  const gaps = useAsync(() => get<Page<Gap>>('/gaps', { state: ['pending', 'retrying'], limit: 50 }), []);
  const events = useAsync(() => get<Page<MeterEvent>>('/events', { limit: 15 }), []);

  return (
    <div class="page">
      <h1>{t.painel.title}</h1>
      <Section title={t.painel.completeness}>
        <View state={completeness} isEmpty={(d) => d.items.length === 0}>
          {(d) => (
            <>
              <div class="kpis">
                <div class="kpi">
                  <span>
                    {t.painel.yesterday} ({fmtDay(yday)})
                  </span>
                  <PctBadge pct={totals(d.items, yday)} />
                </div>
                <div class="kpi">
                  <span>
                    {t.painel.today} ({fmtDay(day)})
                  </span>
                  <PctBadge pct={totals(d.items, day)} />
                </div>
                <div class="kpi">
                  <span>{t.painel.pointsCount(d.total)}</span>
                </div>
              </div>
              <h3>{t.painel.perPoint}</h3>
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>{t.point.code}</th>
                      <th>{t.point.name}</th>
                      <th>{t.painel.yesterday}</th>
                      <th>{t.painel.today}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...d.items]
                      .sort((a, b) => (pctOf(a, yday) ?? -1) - (pctOf(b, yday) ?? -1))
                      .map((p) => (
                        <tr key={p.code}>
                          <td>
                            <a href={href(`/ponto/${p.code}`)}>{p.code}</a>
                          </td>
                          <td>{p.name}</td>
                          <td>
                            <PctBadge pct={pctOf(p, yday)} />
                          </td>
                          <td>
                            <PctBadge pct={pctOf(p, day)} />
                          </td>
                        </tr>
                      ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </View>
      </Section>
      <div class="grid2">
        <Section title={t.painel.failing}>
          <View state={failed} isEmpty={(d) => d.items.length === 0} empty={t.painel.failingEmpty}>
            {(d) => <FailingMeters meters={d.items} />}
          </View>
        </Section>
        <Section title={t.painel.gaps}>
          <View state={gaps} isEmpty={(d) => d.items.length === 0} empty={t.painel.gapsEmpty}>
            {(d) => (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>{t.sessions.point}</th>
                      <th>{t.sessions.meter}</th>
                      <th>{t.gaps.first}</th>
                      <th>{t.gaps.intervals}</th>
                      <th>{t.gaps.state}</th>
                      <th>{t.gaps.attempts}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.items.map((g) => (
                      <tr key={g.id}>
                        <td>
                          <a href={href(`/ponto/${g.pointCode}`)}>{g.pointCode}</a>
                        </td>
                        <td>{g.meterSerial}</td>
                        <td>{fmtDateTime(g.firstEnd)}</td>
                        <td class="num">{g.intervals}</td>
                        <td>
                          <StatusBadge status={g.state} label={t.gaps.states[g.state] ?? g.state} />
                        </td>
                        <td class="num">{g.attempts}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </View>
        </Section>
      </div>
      <Section title={t.painel.events}>
        <View state={events} isEmpty={(d) => d.items.length === 0} empty={t.painel.eventsEmpty}>
          {(d) => (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>{t.events.at}</th>
                    <th>{t.sessions.point}</th>
                    <th>{t.sessions.meter}</th>
                    <th>{t.events.kind}</th>
                    <th>{t.events.detail}</th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((e) => (
                    <tr key={e.id}>
                      <td>{fmtDateTime(e.at)}</td>
                      <td>
                        <a href={href(`/ponto/${e.pointCode}`)}>{e.pointCode}</a>
                      </td>
                      <td>{e.meterSerial}</td>
                      <td>{t.events.kinds[e.kind] ?? e.kind}</td>
                      <td class="detail">{eventText(e)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </View>
      </Section>
    </div>
  );
}

function FailingMeters({ meters }: { meters: FailingMeter[] }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>{t.sessions.meter}</th>
            <th>{t.sessions.point}</th>
            <th>{t.painel.failures}</th>
            <th>{t.painel.lastError}</th>
            <th>{t.painel.lastOk}</th>
          </tr>
        </thead>
        <tbody>
          {meters.map((m) => (
            <tr key={m.meterSerial}>
              <td>
                <a href={href('/leituras', { meter: m.meterSerial, status: 'failed' })}>{m.meterSerial}</a>
              </td>
              <td>
                <a href={href(`/ponto/${m.pointCode}`)}>{m.pointCode}</a>
              </td>
              <td class="num">{m.failures}</td>
              <td class="detail">
                {m.lastAttemptAt ? `${fmtDateTime(m.lastAttemptAt)} — ` : ''}
                {m.lastError ?? ''}
              </td>
              <td>{m.lastOkAt ? fmtDateTime(m.lastOkAt) : t.painel.never}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
