/**
 * Ponto: one metering point — load profile, principal × retaguarda, manual edits, gaps, read sessions, meters,
 * clock, instant values and events — with the analyst's actions (ler agora, sincronizar relógio, editar intervalos,
 * aceitar sinalização) and downloads. Period and layer live in the URL.
 */
import { useState } from 'preact/hooks';
import {
  get,
  type Me,
  type MeterEvent,
  type Page,
  type PointDetail,
  post,
  type Session,
  type Task,
  url,
} from '../api.ts';
import { SessionTable } from '../components/Sessions.tsx';
import { DateRange, Notice, Section, useAsync, View } from '../components/ui.tsx';
import { addDays, fmtDay, monthOf, today } from '../format.ts';
import { t } from '../i18n/pt-BR.ts';
import { href, navigate, useRoute } from '../router.ts';
import type { TypedSeries } from '../series.ts';
import { Compare } from './ponto/Compare.tsx';
import { Clock, Events, Gaps, Instant, Meters } from './ponto/Details.tsx';
import { type EditRange, Edits } from './ponto/Edits.tsx';
import { Profile } from './ponto/Profile.tsx';

const LAYERS = ['final', 'validated', 'raw'] as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function Ponto({ code, me }: { code: string; me: Me }) {
  const route = useRoute();
  const to = route.query.get('to') ?? today();
  const from = route.query.get('from') ?? addDays(to, -6);
  const layer = route.query.get('layer') ?? 'final';
  const canAct = me.role !== 'leitura';

  const [version, setVersion] = useState(0);
  const [sessionsVersion, setSessionsVersion] = useState(0);
  const [finals, setFinals] = useState<TypedSeries[]>([]);
  const [zoom, setZoom] = useState<EditRange | null>(null);
  const [editKind, setEditKind] = useState('replace');
  const [notice, setNotice] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);
  const [draft, setDraft] = useState({ from, to });

  const point = useAsync(() => get<PointDetail>(`/points/${code}`), [code]);
  const sessions = useAsync(() => get<Page<Session>>('/sessions', { point: code, limit: 20 }), [code, sessionsVersion]);
  const events = useAsync(() => get<Page<MeterEvent>>('/events', { point: code, limit: 50 }), [code, sessionsVersion]);

  const go = (q: Record<string, string>) => navigate(`/ponto/${code}`, { from, to, layer, ...q });

  const runTask = async (kind: 'read_now' | 'clock_sync', serial: string) => {
    setNotice(null);
    try {
      const params = kind === 'read_now' ? { window: { amount: 1, unit: 'days' } } : {};
      const comment = t.ponto.taskComment(kind === 'read_now' ? t.ponto.readNow : t.ponto.syncClock);
      let task = await post<Task>('/tasks', { kind, meterSerial: serial, params, comment });
      setNotice({ text: t.ponto.taskQueued(task.id), kind: 'ok' });
      setSessionsVersion((v) => v + 1);
      for (let i = 0; i < 120 && (task.status === 'pending' || task.status === 'running'); i++) {
        await sleep(1000);
        task = await get<Task>(`/tasks/${task.id}`);
      }
      const label = t.sessions.statuses[task.status === 'done' ? 'ok' : task.status] ?? task.status;
      setNotice({ text: t.ponto.taskDone(task.id, label), kind: task.status === 'done' ? 'ok' : 'error' });
      setSessionsVersion((v) => v + 1);
      setVersion((v) => v + 1);
    } catch (e) {
      setNotice({ text: (e as Error).message, kind: 'error' });
    }
  };

  return (
    <div class="page">
      <p>
        <a href={href('/pontos')}>← {t.ponto.back}</a>
      </p>
      <View state={point}>
        {(p) => {
          const inService = p.meters.filter((m) => m.inService);
          const principal = inService.find((m) => m.role === 'principal') ?? inService[0];
          return (
            <>
              <header class="point-head">
                <h1>
                  {p.code} <small>{p.name}</small>
                </h1>
                <p class="meta">
                  {t.segments[p.segment] ?? p.segment}
                  {p.substation ? ` · ${t.point.substation} ${p.substation}` : ''}
                  {p.customer ? ` · ${p.customer}` : ''}
                  {p.tags.length > 0 ? ` · ${p.tags.join(', ')}` : ''}
                  {p.status === 'retired' ? ` · ${t.point.retired}` : ''}
                </p>
              </header>
              <section class="card toolbar">
                <form
                  class="range"
                  onSubmit={(e) => {
                    e.preventDefault();
                    go(draft);
                  }}
                >
                  <DateRange
                    from={draft.from}
                    to={draft.to}
                    onFrom={(from) => setDraft({ ...draft, from })}
                    onTo={(to) => setDraft({ ...draft, to })}
                  />
                  <label>
                    {t.ponto.layer}
                    <select value={layer} onChange={(e) => go({ layer: e.currentTarget.value })}>
                      {LAYERS.map((l) => (
                        <option key={l} value={l}>
                          {t.ponto.layers[l]}
                        </option>
                      ))}
                    </select>
                  </label>
                  <button type="submit">{t.common.apply}</button>
                  {/* Whole calendar months are served from the stored month profiles (README: Month profiles). */}
                  {([0, -1] as const).map((offset) => (
                    <button
                      key={offset}
                      type="button"
                      onClick={() => {
                        const m = monthOf(today(), offset);
                        setDraft(m);
                        go(m);
                      }}
                    >
                      {offset === 0 ? t.ponto.thisMonth : t.ponto.lastMonth}
                    </button>
                  ))}
                  <span class="meta">
                    {fmtDay(from)} – {fmtDay(to)}
                  </span>
                </form>
                {canAct && principal && (
                  <div class="actions">
                    {inService.map((m) => (
                      <button
                        key={`r${m.id}`}
                        type="button"
                        class="primary"
                        onClick={() => runTask('read_now', m.serial)}
                      >
                        {t.ponto.readNow}
                        {inService.length > 1 ? ` (${t.meters.roles[m.role]})` : ''}
                      </button>
                    ))}
                    <button type="button" onClick={() => runTask('clock_sync', principal.serial)}>
                      {t.ponto.syncClock}
                    </button>
                    <button
                      type="button"
                      onClick={() => {
                        setEditKind('replace');
                        document.getElementById('edit-form')?.scrollIntoView({ behavior: 'smooth' });
                      }}
                    >
                      {t.ponto.editIntervals}
                    </button>
                    <button
                      type="button"
                      onClick={() => {
                        setEditKind('accept');
                        document.getElementById('edit-form')?.scrollIntoView({ behavior: 'smooth' });
                      }}
                    >
                      {t.ponto.acceptFlag}
                    </button>
                  </div>
                )}
                <div class="downloads">
                  <span>{t.ponto.downloads}:</span>
                  <a href={url(`/points/${code}/intervals`, { layer: 'final', from, to, format: 'csv' })} download>
                    {t.ponto.csvFinal}
                  </a>
                  <a href={url(`/points/${code}/intervals`, { layer: 'raw', from, to, format: 'csv' })} download>
                    {t.ponto.csvRaw}
                  </a>
                  <a href={url(`/points/${code}/compare`, { from, to, format: 'csv' })} download>
                    {t.ponto.csvCompare}
                  </a>
                  <a href={url(`/points/${code}/compare`, { from, to, format: 'xlsx' })} download>
                    {t.ponto.xlsxCompare}
                  </a>
                </div>
                <Notice text={notice?.text ?? null} kind={notice?.kind} />
              </section>
              <Profile
                code={code}
                from={from}
                to={to}
                layer={layer}
                version={version}
                onZoom={setZoom}
                onSeries={(s) => {
                  if (layer === 'final') setFinals(s);
                }}
              />
              <Edits
                code={code}
                from={from}
                to={to}
                finals={finals}
                zoom={zoom}
                kind={editKind}
                canEdit={canAct && layer === 'final'}
                onChanged={() => setVersion((v) => v + 1)}
              />
              <Compare code={code} from={from} to={to} version={version} />
              <Gaps code={code} version={sessionsVersion} />
              <Section title={t.ponto.sessions}>
                <View state={sessions} isEmpty={(d) => d.items.length === 0} empty={t.sessions.empty}>
                  {(d) => (
                    <>
                      <SessionTable sessions={d.items} showPoint={false} />
                      <p>
                        <a href={href('/leituras', { point: code })}>{t.nav.leituras} →</a>
                      </p>
                    </>
                  )}
                </View>
              </Section>
              <Meters meters={p.meters} />
              <div class="grid2">
                <Clock sessions={sessions.data?.items ?? []} events={events.data?.items ?? []} />
                <Instant code={code} />
              </div>
              <View state={events}>{(d) => <Events events={d.items} />}</View>
            </>
          );
        }}
      </View>
    </div>
  );
}
