/**
 * Medidores virtuais: the list (status filter in the URL), a new meter (`#/virtuais?novo=1`) and one meter
 * (`#/virtuais/<name>`) with its inputs, dependents, definition history, link to its results (the virtual point's
 * page), recomputation over a range, retirement, and the editor with the live preview.
 */
import { useState } from 'preact/hooks';
import type { Me } from '../api.ts';
import {
  computeVirtualMeter,
  getVirtualMeter,
  listVirtualMeters,
  retireVirtualMeter,
  type VirtualMeterDetail,
} from '../api-virtual.ts';
import { DateRange, Notice, Section, StatusBadge, useAsync, View } from '../components/ui.tsx';
import { addDays, fmtDateTime, today } from '../format.ts';
import { t } from '../i18n/pt-BR.ts';
import { href, navigate, type Route } from '../router.ts';
import { Editor } from './virtual/Editor.tsx';
import { InputLink } from './virtual/PreviewPanel.tsx';

export function Virtuais({ route, me }: { route: Route; me: Me }) {
  const name = route.parts[1];
  const canEdit = me.role !== 'leitura';
  if (name) return <VirtualDetail name={name} canEdit={canEdit} />;
  return <VirtualList route={route} canEdit={canEdit} />;
}

function VirtualList({ route, canEdit }: { route: Route; canEdit: boolean }) {
  const status = (route.query.get('status') ?? 'active') as 'active' | 'retired' | 'all';
  const creating = route.query.get('novo') === '1';
  const list = useAsync(() => listVirtualMeters(status), [status]);
  return (
    <div class="page">
      <h1>{t.virtuais.title}</h1>
      <div class="filters card">
        <label>
          {t.pontos.status}
          <select value={status} onChange={(e) => navigate('/virtuais', { status: e.currentTarget.value })}>
            <option value="active">{t.virtuais.statuses.active}</option>
            <option value="retired">{t.virtuais.statuses.retired}</option>
            <option value="all">{t.common.all}</option>
          </select>
        </label>
        {canEdit && !creating && (
          <a class="button primary" href={href('/virtuais', { novo: '1' })}>
            {t.virtuais.new}
          </a>
        )}
      </div>
      {creating && canEdit && <Editor canEdit onSaved={(m) => navigate(`/virtuais/${encodeURIComponent(m.name)}`)} />}
      <Section title={t.virtuais.list}>
        <View state={list} isEmpty={(d) => d.items.length === 0} empty={t.virtuais.empty}>
          {(d) => (
            <div class="table-wrap">
              <table class="virtual-meters">
                <thead>
                  <tr>
                    <th>{t.virtuais.name}</th>
                    <th>{t.point.code}</th>
                    <th>{t.virtuais.channel}</th>
                    <th>{t.virtuais.formula}</th>
                    <th>{t.virtuais.tags}</th>
                    <th>{t.pontos.status}</th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((m) => (
                    <tr key={m.name}>
                      <td>
                        <a href={href(`/virtuais/${encodeURIComponent(m.name)}`)}>{m.name}</a>
                      </td>
                      <td>
                        <a href={href(`/ponto/${m.code}`)}>{m.code}</a>
                      </td>
                      <td>
                        {m.channel} ({m.unit})
                      </td>
                      <td>
                        <code>{m.formula}</code>
                      </td>
                      <td>{m.tags.join(', ')}</td>
                      <td>
                        <StatusBadge
                          status={m.status === 'active' ? 'ok' : 'lost'}
                          label={t.virtuais.statuses[m.status]}
                        />
                      </td>
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

function VirtualDetail({ name, canEdit }: { name: string; canEdit: boolean }) {
  const [version, setVersion] = useState(0);
  const state = useAsync(() => getVirtualMeter(name), [name, version]);
  return (
    <div class="page">
      <p>
        <a href={href('/virtuais')}>← {t.virtuais.back}</a>
      </p>
      <View state={state}>
        {(m) => (
          <DetailBody
            key={`${m.name}@${m.version}`}
            m={m}
            canEdit={canEdit}
            onChanged={() => setVersion((v) => v + 1)}
          />
        )}
      </View>
    </div>
  );
}

function DetailBody({ m, canEdit, onChanged }: { m: VirtualMeterDetail; canEdit: boolean; onChanged: () => void }) {
  const [from, setFrom] = useState(addDays(today(), -7));
  const [to, setTo] = useState(addDays(today(), -1));
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);
  const active = m.status === 'active';

  const compute = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setNotice(null);
    try {
      const r = await computeVirtualMeter(m.name, from, to);
      setNotice({ text: t.virtuais.computed(r.pointDays, r.changed, r.meters), kind: 'ok' });
    } catch (err) {
      setNotice({ text: (err as Error).message, kind: 'error' });
    } finally {
      setBusy(false);
    }
  };
  const retire = async () => {
    if (!confirm(t.virtuais.retireConfirm(m.name))) return;
    setBusy(true);
    try {
      await retireVirtualMeter(m.name, t.virtuais.retireComment);
      onChanged();
    } catch (err) {
      setNotice({ text: (err as Error).message, kind: 'error' });
      setBusy(false);
    }
  };

  return (
    <>
      <header class="point-head">
        <h1>
          {m.name} <small>{m.description ?? ''}</small>
        </h1>
        <p class="meta">
          {t.virtuais.channels[m.channel]} · {t.segments[m.segment] ?? m.segment}
          {m.tags.length > 0 ? ` · ${m.tags.join(', ')}` : ''} · {t.virtuais.versionOf(m.version)} ·{' '}
          {t.virtuais.statuses[m.status]}
        </p>
        <p>
          <code class="formula">{m.formula}</code>
        </p>
        {m.problem && <p class="notice error">{t.virtuais.problem(m.problem)}</p>}
      </header>
      <section class="card toolbar">
        <div class="downloads">
          <a href={href(`/ponto/${m.code}`, { layer: 'final' })}>{t.virtuais.results(m.code)} →</a>
        </div>
        {canEdit && active && (
          <form class="range" onSubmit={compute}>
            <DateRange from={from} to={to} onFrom={setFrom} onTo={setTo} name="compute" />
            <button type="submit" class="primary" disabled={busy}>
              {t.virtuais.compute}
            </button>
            <button type="button" disabled={busy} onClick={retire}>
              {t.virtuais.retire}
            </button>
          </form>
        )}
        <Notice text={notice?.text ?? null} kind={notice?.kind} />
      </section>
      <div class="grid2">
        <Section title={t.virtuais.inputs}>
          {m.inputs.length === 0 ? (
            <p class="state empty">{t.common.none}</p>
          ) : (
            <ul class="virtual-inputs">
              {m.inputs.map((i) => (
                <li key={i.label}>
                  <InputLink input={i} /> <span class="meta">{t.virtuais.kinds[i.kind]}</span>
                </li>
              ))}
            </ul>
          )}
          {m.groups.length > 0 && <p class="meta">{t.virtuais.groups(m.groups.join(', '))}</p>}
        </Section>
        <Section title={t.virtuais.dependents}>
          {m.dependents.length === 0 ? (
            <p class="state empty">{t.virtuais.noDependents}</p>
          ) : (
            <ul class="virtual-dependents">
              {m.dependents.map((d) => (
                <li key={d}>
                  <a href={href(`/virtuais/${encodeURIComponent(d)}`)}>{d}</a>
                </li>
              ))}
            </ul>
          )}
        </Section>
      </div>
      {active && <Editor meter={m} canEdit={canEdit} onSaved={onChanged} />}
      <Section title={t.virtuais.history}>
        <div class="table-wrap short">
          <table>
            <thead>
              <tr>
                <th>{t.ponto.version}</th>
                <th>{t.virtuais.formula}</th>
                <th>{t.edit.by}</th>
                <th>{t.virtuais.when}</th>
                <th>{t.edit.commentShort}</th>
              </tr>
            </thead>
            <tbody>
              {m.history.map((h) => (
                <tr key={h.version}>
                  <td>{h.version}</td>
                  <td>
                    <code>{h.formula}</code>
                  </td>
                  <td>{h.by}</td>
                  <td>{fmtDateTime(h.at)}</td>
                  <td>{h.comment ?? t.common.none}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
    </>
  );
}
