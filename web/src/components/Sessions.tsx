/** The read-session table (click a row for its detail) and one session with its steps and decoded frames. */
import { useState } from 'preact/hooks';
import { get, type Session, type SessionDetail } from '../api.ts';
import { fmtDateTime, fmtDuration, fmtNum } from '../format.ts';
import { t } from '../i18n/pt-BR.ts';
import { href } from '../router.ts';
import { StatusBadge, useAsync, View } from './ui.tsx';

export function SessionTable({ sessions, showPoint = true }: { sessions: Session[]; showPoint?: boolean }) {
  const [open, setOpen] = useState<number | null>(null);
  return (
    <div class="table-wrap">
      <table class="sessions">
        <thead>
          <tr>
            <th>{t.sessions.id}</th>
            <th>{t.sessions.started}</th>
            {showPoint && <th>{t.sessions.point}</th>}
            <th>{t.sessions.meter}</th>
            <th>{t.sessions.purpose}</th>
            <th>{t.sessions.status}</th>
            <th>{t.sessions.duration}</th>
            <th>{t.sessions.intervals}</th>
            <th>{t.sessions.drift}</th>
            <th>{t.sessions.error}</th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => [
            <tr key={s.id} class={`clickable st-${s.status}`} data-session={s.id}>
              <td>
                <button type="button" class="link" onClick={() => setOpen(open === s.id ? null : s.id)}>
                  {s.id}
                </button>
              </td>
              <td>{fmtDateTime(s.startedAt)}</td>
              {showPoint && (
                <td>
                  <a href={href(`/ponto/${s.pointCode}`)}>{s.pointCode}</a>
                </td>
              )}
              <td>
                {s.meterSerial} <small>({t.meters.roles[s.meterRole] ?? s.meterRole})</small>
              </td>
              <td>{t.sessions.purposes[s.purpose] ?? s.purpose}</td>
              <td>
                <StatusBadge status={s.status} label={t.sessions.statuses[s.status] ?? s.status} />
              </td>
              <td class="num">{fmtDuration(s.durationMs)}</td>
              <td class="num">{s.intervals}</td>
              <td class="num">{s.driftS === null ? t.common.none : fmtNum(s.driftS, 1)}</td>
              <td class="detail">{s.errorMessage ?? ''}</td>
            </tr>,
            open === s.id && (
              <tr key={`${s.id}-detail`} class="detail-row">
                <td colSpan={showPoint ? 10 : 9}>
                  <SessionView id={s.id} />
                </td>
              </tr>
            ),
          ])}
        </tbody>
      </table>
    </div>
  );
}

export function SessionView({ id }: { id: number }) {
  const state = useAsync(() => get<SessionDetail>(`/sessions/${id}`, { frameLimit: 500 }), [id]);
  return (
    <View state={state}>
      {(s) => (
        <div class="session-detail">
          {s.errorMessage && (
            <p class="state error">
              {s.failureStep ? `${s.failureStep}: ` : ''}
              {s.errorCode ? `${s.errorCode} — ` : ''}
              {s.errorMessage}
            </p>
          )}
          {s.warnings.length > 0 && <p class="state empty">{s.warnings.join(' · ')}</p>}
          <h4>{t.sessions.steps}</h4>
          <ol class="steps">
            {s.steps.map((step, i) => (
              <li key={i}>
                <code>{JSON.stringify(step)}</code>
              </li>
            ))}
          </ol>
          <h4>
            {t.sessions.frames} <small>{t.sessions.framesCount(s.frameCount, s.frames.length)}</small>
          </h4>
          <div class="table-wrap frames">
            <table>
              <thead>
                <tr>
                  <th>#</th>
                  <th>{t.sessions.direction}</th>
                  <th>{t.sessions.command}</th>
                  <th>{t.sessions.bytes}</th>
                  <th>{t.sessions.summary}</th>
                </tr>
              </thead>
              <tbody>
                {s.frames.map((f) => (
                  <tr key={f.index} class={f.error ? 'bad' : ''}>
                    <td class="num">{f.index}</td>
                    <td>{f.direction === 'tx' ? t.sessions.tx : t.sessions.rx}</td>
                    <td>
                      {f.code === null ? '' : `0x${f.code.toString(16).padStart(2, '0')}`} {f.name ?? ''}
                    </td>
                    <td class="num">{f.length}</td>
                    <td class="detail">
                      {f.error ? `${f.error} — ` : ''}
                      {f.summary}
                      <details>
                        <summary>hex</summary>
                        <code class="hex">{f.hex}</code>
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </View>
  );
}
