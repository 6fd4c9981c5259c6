/** The point page's other sections: gaps with re-read history, meters and parameters, clock, instant values, events. */
import { useState } from 'preact/hooks';
import {
  type Gap,
  type GapDetail,
  get,
  type Meter,
  type MeterEvent,
  type MeterSnapshot,
  type Page,
  type PointInstant,
  type Session,
} from '../../api.ts';
import { eventText } from '../../components/events.ts';
import { Section, StatusBadge, useAsync, View } from '../../components/ui.tsx';
import { fmtDateTime, fmtNum } from '../../format.ts';
import { t } from '../../i18n/pt-BR.ts';

function GapHistory({ id }: { id: number }) {
  const state = useAsync(() => get<GapDetail>(`/gaps/${id}`), [id]);
  return (
    <View state={state} isEmpty={(g) => g.history.length === 0} empty={t.ponto.historyEmpty}>
      {(g) => (
        <ol class="history">
          {g.history.map((h, i) => (
            <li key={i}>
              {fmtDateTime(h.at)} — {h.action}
              {h.sessionId ? ` (${t.sessions.id} ${h.sessionId})` : ''}
              {h.result ? `: ${h.result}` : ''}
            </li>
          ))}
        </ol>
      )}
    </View>
  );
}

export function Gaps({ code, version }: { code: string; version: number }) {
  const state = useAsync(() => get<Page<Gap>>('/gaps', { point: code, limit: 100 }), [code, version]);
  const [open, setOpen] = useState<number | null>(null);
  return (
    <Section title={t.ponto.gaps}>
      <View state={state} isEmpty={(d) => d.items.length === 0} empty={t.ponto.gapsEmpty}>
        {(d) => (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>{t.sessions.meter}</th>
                  <th>{t.gaps.first}</th>
                  <th>{t.gaps.last}</th>
                  <th>{t.gaps.intervals}</th>
                  <th>{t.gaps.state}</th>
                  <th>{t.gaps.attempts}</th>
                  <th>{t.gaps.nextAttempt}</th>
                  <th>{t.gaps.lastError}</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((g) => [
                  <tr key={g.id}>
                    <td>
                      <button type="button" class="link" onClick={() => setOpen(open === g.id ? null : g.id)}>
                        {g.meterSerial}
                      </button>
                    </td>
                    <td>{fmtDateTime(g.firstEnd)}</td>
                    <td>{fmtDateTime(g.lastEnd)}</td>
                    <td class="num">{g.intervals}</td>
                    <td>
                      <StatusBadge status={g.state} label={t.gaps.states[g.state] ?? g.state} />
                    </td>
                    <td class="num">{g.attempts}</td>
                    <td>{fmtDateTime(g.nextAttemptAt)}</td>
                    <td class="detail">{g.lastError ?? ''}</td>
                  </tr>,
                  open === g.id && (
                    <tr key={`${g.id}-h`} class="detail-row">
                      <td colSpan={8}>
                        <h4>{t.ponto.history}</h4>
                        <GapHistory id={g.id} />
                      </td>
                    </tr>
                  ),
                ])}
              </tbody>
            </table>
          </div>
        )}
      </View>
    </Section>
  );
}

export function Meters({ meters }: { meters: Meter[] }) {
  return (
    <Section title={t.ponto.meters}>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>{t.meters.serial}</th>
              <th>{t.meters.role}</th>
              <th>{t.meters.model}</th>
              <th>{t.meters.interval}</th>
              <th>{t.meters.memoryDays}</th>
              <th>{t.meters.ratios}</th>
              <th>{t.meters.channels}</th>
              <th>{t.meters.address}</th>
              <th>{t.meters.validity}</th>
            </tr>
          </thead>
          <tbody>
            {meters.map((m) => (
              <tr key={`${m.id}`} class={m.inService ? '' : 'muted'}>
                <td>{m.serial}</td>
                <td>{t.meters.roles[m.role] ?? m.role}</td>
                <td>{[m.manufacturer, m.model].filter(Boolean).join(' ') || t.common.none}</td>
                <td class="num">{m.mmIntervalS / 60} min</td>
                <td class="num">{m.memoryDays}</td>
                <td class="num">
                  {fmtNum(m.tpRatio)} / {fmtNum(m.tcRatio)}
                </td>
                <td>
                  {m.channelMap
                    .map((c) => `${c.channel}: q${c.quantityCode} (${c.numerator}/${c.denominator})`)
                    .join(' · ')}
                </td>
                <td>{m.channels.map((c) => c.address).join(', ')}</td>
                <td>
                  {fmtDateTime(m.validFrom)} → {m.validTo ? fmtDateTime(m.validTo) : t.meters.inService}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Section>
  );
}

/** Last known clock drift per meter (from the sessions that measured it) and the drift / sync events. */
export function Clock({ sessions, events }: { sessions: Session[]; events: MeterEvent[] }) {
  const latest = new Map<string, Session>();
  for (const s of sessions) if (s.driftS !== null && !latest.has(s.meterSerial)) latest.set(s.meterSerial, s);
  const clockEvents = events.filter((e) => e.kind === 'clock_drift' || e.kind === 'clock_sync').slice(0, 10);
  return (
    <Section title={t.ponto.clock}>
      {latest.size === 0 ? (
        <p class="state empty">{t.common.empty}</p>
      ) : (
        <ul class="plain">
          {[...latest.values()].map((s) => (
            <li key={s.meterSerial}>
              {t.sessions.meter} {s.meterSerial}: {t.ponto.drift} <strong>{fmtNum(s.driftS, 1)} s</strong> (
              {fmtDateTime(s.startedAt)})
            </li>
          ))}
        </ul>
      )}
      {clockEvents.length > 0 && (
        <ul class="plain">
          {clockEvents.map((e) => (
            <li key={e.id}>
              {fmtDateTime(e.at)} — {t.events.kinds[e.kind]} {e.meterSerial}: {eventText(e)}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

/** The newest instantaneous values (command 0x14) and register totals each meter of the point reported. */
export function Instant({ code }: { code: string }) {
  const state = useAsync(() => get<PointInstant>(`/points/${code}/instant`), [code]);
  return (
    <Section title={t.ponto.instant}>
      <View
        state={state}
        isEmpty={(d) => d.instant.length === 0 && d.registers.length === 0}
        empty={t.ponto.instantEmpty}
      >
        {(d) => (
          <div>
            {d.instant.map((s) => (
              <SnapshotValues key={`i${s.meterSerial}${s.group}`} s={s} />
            ))}
            {d.registers.length > 0 && <h3>{t.ponto.registers}</h3>}
            {d.registers.map((s) => (
              <SnapshotValues key={`r${s.meterSerial}${s.group}`} s={s} />
            ))}
          </div>
        )}
      </View>
    </Section>
  );
}

function SnapshotValues({ s }: { s: MeterSnapshot }) {
  return (
    <div>
      <p>
        {t.sessions.meter} {s.meterSerial} ({s.role}) · {fmtDateTime(s.at)}
      </p>
      <dl class="values">
        {Object.entries(s.data).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{valueText(v)}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

function valueText(v: unknown): string {
  if (typeof v === 'number') return fmtNum(v, 3);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' || x === null))
    return v.map((x) => (x === null ? '—' : fmtNum(x, 3))).join(' · ');
  if (v === null || v === undefined) return '—';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function Events({ events }: { events: MeterEvent[] }) {
  return (
    <Section title={t.ponto.events}>
      {events.length === 0 ? (
        <p class="state empty">{t.painel.eventsEmpty}</p>
      ) : (
        <div class="table-wrap short">
          <table>
            <thead>
              <tr>
                <th>{t.events.at}</th>
                <th>{t.sessions.meter}</th>
                <th>{t.events.kind}</th>
                <th>{t.events.detail}</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td>{fmtDateTime(e.at)}</td>
                  <td>{e.meterSerial}</td>
                  <td>{t.events.kinds[e.kind] ?? e.kind}</td>
                  <td class="detail">{eventText(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
