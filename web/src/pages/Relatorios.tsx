/**
 * Relatórios: download the PDF / XLSX / CSV reports (principal × retaguarda, completude, energia, séries) for
 * points named by code or a tag, over a range of days. The files are made on the server, streamed.
 */
import { useState } from 'preact/hooks';
import { downloadReport, REPORT_FORMATS, type ReportFormat, type ReportKind } from '../api-reports.ts';
import { DateRange, ErrorBox } from '../components/ui.tsx';
import { addDays, today } from '../format.ts';
import { t } from '../i18n/pt-BR.ts';

const KINDS: ReportKind[] = ['compare', 'completeness', 'energy', 'series'];
const CHANNELS = ['C', 'G', 'QC', 'QG'] as const;

export function Relatorios() {
  const yesterday = addDays(today(), -1);
  const [kind, setKind] = useState<ReportKind>('compare');
  const [format, setFormat] = useState<ReportFormat>('pdf');
  const [points, setPoints] = useState('');
  const [tag, setTag] = useState('');
  const [from, setFrom] = useState(addDays(yesterday, -6));
  const [to, setTo] = useState(yesterday);
  const [channel, setChannel] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const formats = REPORT_FORMATS[kind];
  const chooseKind = (k: ReportKind) => {
    setKind(k);
    if (!REPORT_FORMATS[k].includes(format)) setFormat(REPORT_FORMATS[k][0]);
  };
  const codes = points
    .split(/[\s,;]+/)
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  const problem =
    codes.length === 0 && tag.trim() === ''
      ? t.relatorios.needPoints
      : codes.some((c) => !/^[A-Z0-9]{13}$/.test(c))
        ? t.relatorios.badCode
        : to < from
          ? t.relatorios.badRange
          : null;

  const submit = async (e: Event) => {
    e.preventDefault();
    if (problem) return;
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const name = await downloadReport({
        kind,
        format,
        points: codes.join(',') || undefined,
        tag: tag.trim() || undefined,
        from,
        to,
        channel: kind === 'energy' || kind === 'series' ? channel || undefined : undefined,
      });
      setDone(name);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="page">
      <h1>{t.relatorios.title}</h1>
      <p>{t.relatorios.intro}</p>
      <form class="filters card" onSubmit={submit}>
        <label>
          {t.relatorios.kind}
          <select name="kind" value={kind} onChange={(e) => chooseKind(e.currentTarget.value as ReportKind)}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t.relatorios.kinds[k]}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.relatorios.format}
          <select name="format" value={format} onChange={(e) => setFormat(e.currentTarget.value as ReportFormat)}>
            {formats.map((f) => (
              <option key={f} value={f}>
                {f.toUpperCase()}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.relatorios.points}
          <input
            name="points"
            value={points}
            placeholder="SPXXXXXXXXX01, …"
            onInput={(e) => setPoints(e.currentTarget.value)}
          />
        </label>
        <label>
          {t.relatorios.tag}
          <input name="tag" value={tag} onInput={(e) => setTag(e.currentTarget.value)} />
        </label>
        <DateRange from={from} to={to} onFrom={setFrom} onTo={setTo} />
        {(kind === 'energy' || kind === 'series') && (
          <label>
            {t.relatorios.channel}
            <select name="channel" value={channel} onChange={(e) => setChannel(e.currentTarget.value)}>
              <option value="">{t.common.all}</option>
              {CHANNELS.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
        )}
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy || problem !== null}>
            {busy ? t.relatorios.generating : t.relatorios.download}
          </button>
        </div>
      </form>
      {problem && (codes.length > 0 || tag.trim() !== '') && <p class="muted">{problem}</p>}
      {error && <ErrorBox error={error} />}
      {done && <p>{t.relatorios.done(done)}</p>}
      <p class="muted">{t.relatorios.limits}</p>
    </div>
  );
}
