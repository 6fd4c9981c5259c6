/**
 * Create or edit a virtual meter: name, channel, formula (with its error marked where the API says), description,
 * tags and segment; while the formula is typed a live preview (debounced, answers to older text dropped) evaluates
 * it over the chosen days and draws the result.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../../api.ts';
import {
  createVirtualMeter,
  type Preview,
  previewFormula,
  updateVirtualMeter,
  VIRTUAL_CHANNELS,
  type VirtualChannel,
  type VirtualMeterDetail,
  type VirtualMeterInput,
} from '../../api-virtual.ts';
import { DateRange, Notice, Section } from '../../components/ui.tsx';
import { addDays, today } from '../../format.ts';
import { t } from '../../i18n/pt-BR.ts';
import { FormulaInput, type FormulaProblem } from './FormulaInput.tsx';
import { PreviewPanel } from './PreviewPanel.tsx';

/** Wait after the last keystroke before asking for a preview. */
export const PREVIEW_DEBOUNCE_MS = 300;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The API's formula message without its "formula column N: " lead (the UI shows the column itself). */
export function problemOf(e: unknown): FormulaProblem {
  if (e instanceof ApiError && e.code === 'FRONTEIRA_E_FORMULA') {
    return {
      message: e.apiMessage.replace(/^formula column \d+:\s*/, ''),
      column: num(e.details.column),
      length: num(e.details.length) ?? 1,
    };
  }
  return { message: (e as Error).message, column: null, length: 0 };
}

const splitTags = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function Editor({
  meter,
  canEdit,
  onSaved,
}: {
  /** The meter being edited; absent = a new one. */
  meter?: VirtualMeterDetail;
  canEdit: boolean;
  onSaved: (m: VirtualMeterDetail) => void;
}) {
  const [name, setName] = useState(meter?.name ?? '');
  const [channel, setChannel] = useState<VirtualChannel>(meter?.channel ?? 'C');
  const [formula, setFormula] = useState(meter?.formula ?? '');
  const [description, setDescription] = useState(meter?.description ?? '');
  const [tags, setTags] = useState((meter?.tags ?? []).join(', '));
  const [segment, setSegment] = useState(meter?.segment ?? 'faturamento');
  const [comment, setComment] = useState('');
  const [to, setTo] = useState(addDays(today(), -1));
  const [from, setFrom] = useState(addDays(today(), -7));

  const [preview, setPreview] = useState<Preview | null>(null);
  const [problem, setProblem] = useState<FormulaProblem | null>(null);
  const [pending, setPending] = useState(false);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);
  const seq = useRef(0);

  useEffect(() => {
    const my = ++seq.current;
    if (formula.trim() === '' || !from || !to) {
      setPending(false);
      setProblem(null);
      return;
    }
    setPending(true);
    const timer = setTimeout(() => {
      previewFormula({ formula, channel, from, to, name: meter?.name }).then(
        (p) => {
          if (my !== seq.current) return;
          setPreview(p);
          setProblem(null);
          setPending(false);
        },
        (e: unknown) => {
          if (my !== seq.current) return;
          setProblem(problemOf(e));
          setPending(false);
        },
      );
    }, PREVIEW_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [formula, channel, from, to, meter?.name]);

  const save = async (e: Event) => {
    e.preventDefault();
    setNotice(null);
    setSaving(true);
    try {
      let saved: VirtualMeterDetail;
      if (meter) {
        const body: VirtualMeterInput = {};
        if (formula !== meter.formula) body.formula = formula;
        if (description !== (meter.description ?? '')) body.description = description || null;
        if (tags !== meter.tags.join(', ')) body.tags = splitTags(tags);
        if (segment !== meter.segment) body.segment = segment;
        if (Object.keys(body).length === 0) {
          setNotice({ text: t.virtuais.nothingChanged, kind: 'ok' });
          return;
        }
        if (comment.trim()) body.comment = comment.trim();
        saved = await updateVirtualMeter(meter.name, body);
      } else {
        saved = await createVirtualMeter({
          name: name.trim(),
          channel,
          formula,
          description: description.trim() || null,
          tags: splitTags(tags),
          segment,
          comment: comment.trim() || undefined,
        });
      }
      setNotice({ text: t.virtuais.saved(saved.name, saved.version), kind: 'ok' });
      setComment('');
      onSaved(saved);
    } catch (err) {
      const formulaError = err instanceof ApiError && err.code === 'FRONTEIRA_E_FORMULA';
      if (formulaError) setProblem(problemOf(err));
      setNotice({ text: formulaError ? t.virtuais.invalidFormula : (err as Error).message, kind: 'error' });
    } finally {
      setSaving(false);
    }
  };

  return (
    <Section title={meter ? t.virtuais.editTitle(meter.name) : t.virtuais.newTitle}>
      <form class="edit-form virtual-form" onSubmit={save}>
        {!meter && (
          <label>
            {t.virtuais.name}
            <input
              name="name"
              required
              maxLength={80}
              pattern={'[^"\'\\\\]+'}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
        )}
        <label>
          {t.virtuais.channel}
          <select
            name="channel"
            value={channel}
            disabled={!!meter}
            onChange={(e) => setChannel(e.currentTarget.value as VirtualChannel)}
          >
            {VIRTUAL_CHANNELS.map((c) => (
              <option key={c} value={c}>
                {t.virtuais.channels[c]}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.point.segment}
          <select name="segment" value={segment} onChange={(e) => setSegment(e.currentTarget.value)}>
            {Object.entries(t.segments).map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <FormulaInput value={formula} onInput={setFormula} problem={problem} disabled={!canEdit} />
        <label class="wide">
          {t.virtuais.description}
          <input
            name="description"
            maxLength={2000}
            value={description}
            onInput={(e) => setDescription(e.currentTarget.value)}
          />
        </label>
        <label>
          {t.virtuais.tags}
          <input name="tags" value={tags} onInput={(e) => setTags(e.currentTarget.value)} />
        </label>
        {meter && (
          <label class="wide">
            {t.edit.commentShort}
            <input name="comment" maxLength={2000} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
          </label>
        )}
        {canEdit && (
          <div class="buttons">
            <button type="submit" class="primary" disabled={saving || formula.trim() === ''}>
              {saving ? t.virtuais.saving : meter ? t.common.save : t.virtuais.create}
            </button>
          </div>
        )}
      </form>
      <Notice text={notice?.text ?? null} kind={notice?.kind} />
      <div class="card-head">
        <h3>
          {t.virtuais.preview}
          {pending ? <small class="meta"> · {t.virtuais.previewing}</small> : null}
        </h3>
        <form class="range" onSubmit={(e) => e.preventDefault()}>
          <DateRange from={from} to={to} onFrom={setFrom} onTo={setTo} name="preview" />
        </form>
      </div>
      {preview ? (
        <PreviewPanel preview={preview} stale={pending || problem !== null} />
      ) : formula.trim() === '' ? (
        <p class="hint">{t.virtuais.previewHint}</p>
      ) : (
        pending && <p class="hint">{t.virtuais.previewing}</p>
      )}
    </Section>
  );
}
