/**
 * Exportações: the CCEE/ONS XML files. A form generates files for point codes, a tag or every active point over a
 * range of days (analista and admin); the history below lists every file with its state (ok, desatualizado =
 * its final data changed since, substituído, falhou), the download of the stored file and, for a stale file, its
 * regeneration. Filters live in the URL.
 */
import { useState } from 'preact/hooks';
import type { Me } from '../api.ts';
import {
  type ExportFile,
  type ExportResult,
  exportFileUrl,
  generateExports,
  listExportLayouts,
  listExports,
  regenerateExport,
} from '../api-exports.ts';
import { DateRange, Notice, Pager, Section, StatusBadge, useAsync, View } from '../components/ui.tsx';
import { addDays, fmtDateTime, fmtDay, today } from '../format.ts';
import { t } from '../i18n/pt-BR.ts';
import { navigate, type Route } from '../router.ts';

const LIMIT = 50;
// Checkboxes inline: the house styles make every label a column and every input a 2.2rem box.
const CHECK_LABEL = { flexDirection: 'row', alignItems: 'center', gap: '0.35rem', paddingBottom: '0.5rem' } as const;
const CHECKBOX = { minHeight: 0, padding: 0, margin: 0 } as const;
const tx = t.exportacoes;

type Selection = 'points' | 'tag' | 'all';

function days(f: ExportFile): string {
  return f.dayFrom === f.dayTo ? fmtDay(f.dayFrom) : `${fmtDay(f.dayFrom)} – ${fmtDay(f.dayTo)}`;
}

function stateOf(f: ExportFile): { status: string; label: string } {
  if (f.status === 'failed') return { status: 'failed', label: tx.states.failed };
  if (f.supersededBy !== null) return { status: 'pending', label: tx.states.replaced(f.supersededBy) };
  if (f.stale) return { status: 'lost', label: tx.states.stale };
  return { status: 'ok', label: tx.states.ok };
}

function summary(r: ExportResult): string {
  return tx.result(r.produced.length, r.failed.length, r.skipped.length);
}

function GenerateForm({ onDone }: { onDone: () => void }) {
  const layouts = useAsync(listExportLayouts, []);
  const yesterday = addDays(today(), -1);
  const [form, setForm] = useState({
    layout: 'ccee-5min',
    from: yesterday,
    to: yesterday,
    selection: 'points' as Selection,
    points: '',
    tag: '',
  });
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);
  const [failures, setFailures] = useState<string[]>([]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setNotice(null);
    setFailures([]);
    try {
      const points = form.points
        .split(/[\s,;]+/)
        .map((c) => c.trim().toUpperCase())
        .filter((c) => c !== '');
      const r = await generateExports({
        layout: form.layout,
        from: form.from,
        to: form.to,
        ...(form.selection === 'points'
          ? { points }
          : form.selection === 'tag'
            ? { tag: form.tag.trim() }
            : { all: true }),
      });
      setNotice({ text: summary(r), kind: r.failed.length > 0 ? 'error' : 'ok' });
      setFailures(r.failed.map((f) => f.message));
      onDone();
    } catch (err) {
      setNotice({ text: (err as Error).message, kind: 'error' });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section title={tx.generate}>
      <form class="filters" onSubmit={submit}>
        <label>
          {tx.layout}
          <select
            name="layout"
            value={form.layout}
            onChange={(e) => setForm({ ...form, layout: e.currentTarget.value })}
          >
            {(
              layouts.data ?? [
                { id: 'ccee-5min', description: '' },
                { id: 'ccee-hourly', description: '' },
              ]
            ).map((l) => (
              <option key={l.id} value={l.id} title={l.description}>
                {tx.layouts[l.id] ?? l.id}
              </option>
            ))}
          </select>
        </label>
        <DateRange
          from={form.from}
          to={form.to}
          onFrom={(from) => setForm({ ...form, from })}
          onTo={(to) => setForm({ ...form, to })}
          required
        />
        <label>
          {tx.selection}
          <select
            name="selection"
            value={form.selection}
            onChange={(e) => setForm({ ...form, selection: e.currentTarget.value as Selection })}
          >
            <option value="points">{tx.byPoints}</option>
            <option value="tag">{tx.byTag}</option>
            <option value="all">{tx.allPoints}</option>
          </select>
        </label>
        {form.selection === 'points' && (
          <label>
            {tx.points}
            <input
              name="points"
              required
              placeholder={tx.pointsHint}
              value={form.points}
              onInput={(e) => setForm({ ...form, points: e.currentTarget.value })}
            />
          </label>
        )}
        {form.selection === 'tag' && (
          <label>
            {tx.tag}
            <input
              name="tag"
              required
              maxLength={100}
              value={form.tag}
              onInput={(e) => setForm({ ...form, tag: e.currentTarget.value })}
            />
          </label>
        )}
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? tx.generating : tx.submit}
          </button>
        </div>
      </form>
      <Notice text={notice?.text ?? null} kind={notice?.kind} />
      {failures.length > 0 && (
        <ul class="export-failures">
          {failures.slice(0, 20).map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
    </Section>
  );
}

export function Exportacoes({ route, me }: { route: Route; me: Me }) {
  const q = route.query;
  const query = {
    layout: q.get('layout') || undefined,
    point: q.get('point') || undefined,
    stale: q.get('stale') === '1' ? true : undefined,
    status: q.get('status') === 'failed' ? ('failed' as const) : undefined,
    limit: LIMIT,
    offset: Number(q.get('offset') ?? 0) || 0,
  };
  const key = JSON.stringify(query);
  const state = useAsync(() => listExports(query), [key]);
  const [draft, setDraft] = useState({
    point: query.point ?? '',
    stale: query.stale === true,
    failed: query.status === 'failed',
  });
  const [notice, setNotice] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);
  const canWrite = me.role === 'admin' || me.role === 'analista';

  const go = (over: Record<string, string | undefined>) =>
    navigate('/exportacoes', {
      layout: query.layout,
      point: draft.point.trim().toUpperCase() || undefined,
      stale: draft.stale ? '1' : undefined,
      status: draft.failed ? 'failed' : undefined,
      ...over,
    });

  const regenerate = async (f: ExportFile) => {
    setNotice(null);
    try {
      const r = await regenerateExport(f.id);
      setNotice({ text: tx.regenerated(f.id, r.produced[0]?.id ?? null), kind: r.failed.length > 0 ? 'error' : 'ok' });
      state.reload();
    } catch (err) {
      setNotice({ text: (err as Error).message, kind: 'error' });
    }
  };

  return (
    <div class="page">
      <h1>{tx.title}</h1>
      <p class="hint">{tx.intro}</p>
      {canWrite && <GenerateForm onDone={state.reload} />}
      <Section title={tx.history}>
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            go({ offset: undefined });
          }}
        >
          <label>
            {tx.point}
            <input
              name="point"
              maxLength={13}
              value={draft.point}
              onInput={(e) => setDraft({ ...draft, point: e.currentTarget.value })}
            />
          </label>
          <label class="check" style={CHECK_LABEL}>
            <input
              type="checkbox"
              style={CHECKBOX}
              name="stale"
              checked={draft.stale}
              onChange={(e) => setDraft({ ...draft, stale: e.currentTarget.checked })}
            />
            {tx.onlyStale}
          </label>
          <label class="check" style={CHECK_LABEL}>
            <input
              type="checkbox"
              style={CHECKBOX}
              name="failed"
              checked={draft.failed}
              onChange={(e) => setDraft({ ...draft, failed: e.currentTarget.checked })}
            />
            {tx.onlyFailed}
          </label>
          <div class="buttons">
            <button type="submit">{t.common.apply}</button>
          </div>
        </form>
        <Notice text={notice?.text ?? null} kind={notice?.kind} />
        <View state={state} isEmpty={(d) => d.items.length === 0} empty={tx.empty}>
          {(page) => (
            <>
              <div class="table-wrap">
                <table class="exports">
                  <thead>
                    <tr>
                      <th>#</th>
                      <th>{tx.layout}</th>
                      <th>{tx.point}</th>
                      <th>{tx.days}</th>
                      <th>{tx.state}</th>
                      <th>{tx.file}</th>
                      <th>{tx.created}</th>
                      <th>{tx.actions}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((f) => {
                      const st = stateOf(f);
                      return (
                        <tr key={f.id}>
                          <td>{f.id}</td>
                          <td>{tx.layouts[f.layout] ?? f.layout}</td>
                          <td>
                            <a href={`#/ponto/${f.pointCode}`}>{f.pointCode}</a>
                          </td>
                          <td>{days(f)}</td>
                          <td>
                            <StatusBadge status={st.status} label={st.label} />
                          </td>
                          <td>
                            {f.status === 'produced' ? (
                              <span title={`SHA-256 ${f.sha256 ?? ''}`}>{f.fileName}</span>
                            ) : (
                              <span class="export-error">{f.error}</span>
                            )}
                          </td>
                          <td>
                            {fmtDateTime(f.createdAt)} · {f.createdBy}
                          </td>
                          <td class="actions">
                            {f.status === 'produced' && (
                              <a href={exportFileUrl(f.id)} download={f.fileName ?? undefined}>
                                {tx.download}
                              </a>
                            )}
                            {canWrite && f.stale && f.supersededBy === null && (
                              <button type="button" class="link" onClick={() => regenerate(f)}>
                                {tx.regenerate}
                              </button>
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              <Pager total={page.total} limit={LIMIT} offset={query.offset} onPage={(o) => go({ offset: String(o) })} />
            </>
          )}
        </View>
      </Section>
    </div>
  );
}
