/**
 * Editar intervalos: a range of slots of one day and quantity, the kind of edit (replace by a value, interpolate,
 * copy the retaguarda, accept the flagged values) and a mandatory comment → POST /points/:code/vee/edits; then the
 * list of the period's manual edits.
 */
import { useEffect, useState } from 'preact/hooks';
import { type Edit, type FinalSummary, get, post } from '../../api.ts';
import { Notice, Section, useAsync, View } from '../../components/ui.tsx';
import { fmtDateTime, fmtDay, fmtNum, parseNum } from '../../format.ts';
import { quantityName, t } from '../../i18n/pt-BR.ts';
import type { TypedSeries } from '../../series.ts';

const KINDS = ['replace', 'interpolate', 'copy_retaguarda', 'accept'] as const;
const BRT_OFFSET_S = 3 * 3600;

/** hh:mm (Brasília) of a slot end; a day's last slot ends at 24:00. */
function hhmm(endS: number): string {
  const s = new Date((endS - BRT_OFFSET_S) * 1000).toISOString().slice(11, 16);
  return s === '00:00' ? '24:00' : s;
}

/** Slot index of an end time within a day, or null when not on the grid. */
function slotOf(text: string, intervalS: number, slots: number): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  const step = intervalS / 60;
  if (minutes % step !== 0 || minutes === 0 || minutes > 24 * 60) return null;
  const k = minutes / step - 1;
  return k >= 0 && k < slots ? k : null;
}

export interface EditRange {
  min: number;
  max: number;
}

interface FormState {
  quantity: string;
  day: string;
  first: string;
  last: string;
  kind: string;
  value: string;
  comment: string;
}

export function Edits({
  code,
  from,
  to,
  finals,
  zoom,
  kind,
  canEdit,
  onChanged,
}: {
  code: string;
  from: string;
  to: string;
  finals: TypedSeries[];
  zoom: EditRange | null;
  kind: string;
  canEdit: boolean;
  onChanged: () => void;
}) {
  const first = finals[0];
  const lastDay = first?.days[first.days.length - 1]?.day ?? to;
  const [f, setF] = useState<FormState>({
    quantity: String(first?.quantityCode ?? ''),
    day: lastDay,
    first: '10:05',
    last: '10:15',
    kind,
    value: '',
    comment: '',
  });
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);
  const [listVersion, setListVersion] = useState(0);
  const edits = useAsync(
    () => get<{ items: Edit[] }>(`/points/${code}/vee/edits`, { from, to }),
    [code, from, to, listVersion],
  );

  useEffect(() => setF((s) => ({ ...s, kind })), [kind]);
  useEffect(() => {
    if (finals.length > 0 && f.quantity === '') setF((s) => ({ ...s, quantity: String(finals[0].quantityCode) }));
  }, [finals, f.quantity]);

  const series = finals.find((s) => String(s.quantityCode) === f.quantity) ?? first;
  const useZoom = () => {
    if (!zoom || !series) return;
    const step = series.intervalS;
    const firstEnd = Math.floor(zoom.min / step) * step + step;
    const lastEnd = Math.max(firstEnd, Math.floor(zoom.max / step) * step);
    const day = new Date((firstEnd - step - BRT_OFFSET_S) * 1000).toISOString().slice(0, 10);
    const dayEnd = Date.parse(`${day}T24:00:00-03:00`) / 1000;
    setF({ ...f, day, first: hhmm(firstEnd), last: hhmm(Math.min(lastEnd, dayEnd)) });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setNotice(null);
    if (!series) return setNotice({ text: t.edit.noFinal, kind: 'error' });
    const dayIndex = series.days.find((d) => d.day === f.day);
    const slots = dayIndex?.slots ?? Math.round(86_400 / series.intervalS);
    const a = slotOf(f.first, series.intervalS, slots);
    const b = slotOf(f.last, series.intervalS, slots);
    if (a === null || b === null || b < a) return setNotice({ text: t.edit.badTime, kind: 'error' });
    const value = parseNum(f.value);
    if (f.kind === 'replace' && value === null) return setNotice({ text: t.edit.badValue, kind: 'error' });
    if (f.comment.trim() === '') return setNotice({ text: t.edit.needComment, kind: 'error' });
    setBusy(true);
    try {
      const r = await post<{ edit: Edit; final: FinalSummary }>(`/points/${code}/vee/edits`, {
        quantityCode: Number(f.quantity),
        day: f.day,
        firstSlot: a,
        lastSlot: b,
        kind: f.kind,
        ...(f.kind === 'replace' ? { values: value } : {}),
        comment: f.comment.trim(),
      });
      setNotice({ text: t.edit.done(r.edit.id, r.final.version), kind: 'ok' });
      setF({ ...f, comment: '' });
      setListVersion((v) => v + 1);
      onChanged();
    } catch (err) {
      setNotice({ text: (err as Error).message, kind: 'error' });
    } finally {
      setBusy(false);
    }
  };
  const set = (k: keyof FormState) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });

  return (
    <Section title={t.edit.title}>
      {canEdit && (
        <form class="edit-form" onSubmit={submit} id="edit-form">
          <label>
            {t.edit.quantity}
            <select name="quantity" value={f.quantity} onChange={set('quantity')}>
              {finals.map((s) => (
                <option key={s.key} value={String(s.quantityCode)}>
                  {quantityName(s.quantityCode, s.unit)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.edit.day}
            <input name="day" type="date" value={f.day} min={from} max={to} onInput={set('day')} required />
          </label>
          <label>
            {t.edit.firstEnd}
            <input name="first" value={f.first} onInput={set('first')} pattern="\d{1,2}:\d{2}" required />
          </label>
          <label>
            {t.edit.lastEnd}
            <input name="last" value={f.last} onInput={set('last')} pattern="\d{1,2}:\d{2}" required />
          </label>
          <label>
            {t.edit.kind}
            <select name="kind" value={f.kind} onChange={set('kind')}>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {t.edit.kinds[k]}
                </option>
              ))}
            </select>
          </label>
          {f.kind === 'replace' && (
            <label>
              {t.edit.value}
              <input name="value" inputMode="decimal" value={f.value} onInput={set('value')} placeholder="0,0" />
            </label>
          )}
          <label class="wide">
            {t.edit.comment}
            <textarea name="comment" value={f.comment} onInput={set('comment')} rows={2} required maxLength={2000} />
          </label>
          <div class="buttons">
            <button type="submit" class="primary" disabled={busy}>
              {busy ? t.edit.submitting : t.edit.submit}
            </button>
            <button type="button" disabled={!zoom} onClick={useZoom}>
              {t.edit.fromZoom}
            </button>
          </div>
          <Notice text={notice?.text ?? null} kind={notice?.kind} />
        </form>
      )}
      <h3>{t.ponto.edits}</h3>
      <View state={edits} isEmpty={(d) => d.items.length === 0} empty={t.ponto.editsEmpty}>
        {(d) => (
          <div class="table-wrap">
            <table class="edits">
              <thead>
                <tr>
                  <th>{t.sessions.id}</th>
                  <th>{t.edit.day}</th>
                  <th>{t.edit.quantity}</th>
                  <th>{t.edit.slots}</th>
                  <th>{t.edit.kind}</th>
                  <th>{t.edit.value}</th>
                  <th>{t.edit.commentShort}</th>
                  <th>{t.edit.by}</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((e) => (
                  <tr key={e.id} class={e.reversedAt ? 'reversed' : ''}>
                    <td class="num">{e.id}</td>
                    <td>{fmtDay(e.day)}</td>
                    <td>{quantityName(e.quantityCode)}</td>
                    <td>
                      {e.firstSlot + 1}–{e.lastSlot + 1}
                    </td>
                    <td>{t.edit.kinds[e.kind] ?? e.kind}</td>
                    <td class="num">{e.values ? fmtNum(e.values[0], 4) : t.common.none}</td>
                    <td class="detail">{e.comment}</td>
                    <td>
                      {e.createdBy} <small>{fmtDateTime(e.createdAt)}</small>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </View>
    </Section>
  );
}
