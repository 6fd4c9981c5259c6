/** Cadastro: export the registry as CSV, and import one — a dry run first shows what would change or what is wrong. */
import { useState } from 'preact/hooks';
import { type Me, request, url } from '../api.ts';
import { ErrorBox, Notice, Section } from '../components/ui.tsx';
import { t } from '../i18n/pt-BR.ts';

interface Counts {
  created: number;
  updated: number;
  unchanged: number;
  disabled?: number;
}
interface ImportReport {
  dryRun: boolean;
  valid: boolean;
  counts: { points: Counts; meters: Counts; channels: Counts } | null;
  changes: string[];
  problems: { line: number | null; column: string; reason: string; message: string }[];
}

function countsText(c: Counts): string {
  const parts = [`${c.created} ${t.cadastro.created}`, `${c.updated} ${t.cadastro.updated}`];
  parts.push(`${c.unchanged} ${t.cadastro.unchanged}`);
  if (c.disabled !== undefined) parts.push(`${c.disabled} ${t.cadastro.disabled}`);
  return parts.join(', ');
}

export function Cadastro({ me }: { me: Me }) {
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useState<Error | null>(null);

  const send = async (dryRun: boolean) => {
    setError(null);
    setReport(null);
    if (!file) return setError(new Error(t.cadastro.pickFile));
    setBusy(true);
    try {
      const text = await file.text();
      setReport(
        await request<ImportReport>('/registry/import', {
          method: 'POST',
          query: { dryRun, source: file.name },
          body: text,
          contentType: 'text/csv',
        }),
      );
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="page">
      <h1>{t.cadastro.title}</h1>
      <Section title={t.cadastro.export}>
        <a class="button" href={url('/registry.csv')} download>
          {t.cadastro.export}
        </a>
      </Section>
      {me.role !== 'leitura' && (
        <Section title={t.cadastro.import}>
          <div class="filters">
            <label class="grow">
              {t.cadastro.file}
              <input type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
            </label>
            <div class="buttons">
              <button type="button" disabled={busy} onClick={() => send(true)}>
                {t.cadastro.dryRun}
              </button>
              <button type="button" class="primary" disabled={busy} onClick={() => send(false)}>
                {busy ? t.cadastro.running : t.cadastro.run}
              </button>
            </div>
          </div>
          {error && <ErrorBox error={error} />}
          {report && (
            <div class="report">
              <h3>{t.cadastro.report}</h3>
              <Notice
                text={!report.valid ? t.cadastro.invalid : report.dryRun ? t.cadastro.valid : t.cadastro.imported}
                kind={report.valid ? 'ok' : 'error'}
              />
              {report.counts && (
                <ul class="plain">
                  <li>
                    {t.cadastro.points}: {countsText(report.counts.points)}
                  </li>
                  <li>
                    {t.cadastro.meters}: {countsText(report.counts.meters)}
                  </li>
                  <li>
                    {t.cadastro.channels}: {countsText(report.counts.channels)}
                  </li>
                </ul>
              )}
              {report.problems.length > 0 && (
                <div class="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th>{t.cadastro.line}</th>
                        <th>{t.cadastro.column}</th>
                        <th>{t.cadastro.problems}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {report.problems.map((p, i) => (
                        <tr key={i}>
                          <td class="num">{p.line ?? t.common.none}</td>
                          <td>{p.column}</td>
                          <td class="detail">{p.message}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
              {report.changes.length > 0 && (
                <>
                  <h4>{t.cadastro.changes}</h4>
                  <ul class="plain changes">
                    {report.changes.slice(0, 500).map((c, i) => (
                      <li key={i}>{c}</li>
                    ))}
                  </ul>
                </>
              )}
            </div>
          )}
        </Section>
      )}
    </div>
  );
}
