/**
 * The human report of `fronteira read`: what a field technician or analyst needs to see at a glance — did it
 * work, and if not where and why; who the meter is, its clock, its channels, what its memory holds.
 */
import type { GroupReading, Reading } from '../collect/session/reading.ts';
import { operatingDayOfWallEnd } from '../domain/time.ts';
import { formatWall, hex } from '../protocols/abnt14522/fields.ts';
import { intervalEnd, MM_FLAG_CLOCK_SUSPECT, MM_FLAG_POWER_OFF } from '../protocols/abnt14522/mass-memory.ts';

const num = (v: number, digits = 0) =>
  v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function wall(t: number | null | undefined): string {
  return t === null || t === undefined ? '—' : formatWall(t);
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function line(label: string, text: string): string {
  return `${label.padEnd(14)}${text}`;
}

function groupReport(g: GroupReading, out: string[]): void {
  const p = g.parameters;
  out.push('', `Channel group ${g.group} (parameters 0x${hex(g.parametersCode)})`);
  for (const c of g.channels) {
    const k = c.constant.denominator ? c.constant.numerator / c.constant.denominator : Number.NaN;
    out.push(
      `  ch${String(c.index).padEnd(3)} ${String(c.quantity.code).padStart(2, '0')} ${c.quantity.name.padEnd(36)} ` +
        `constant ${c.constant.numerator}/${c.constant.denominator} (${num(k, 4)} ${c.quantity.unit || 'units'}/pulse)`,
    );
  }
  out.push(
    `  MM words     current ${num(p.massMemoryWords.current)}, previous ${num(p.massMemoryWords.previous)}` +
      ` (3 per interval)`,
  );
  const mm = g.massMemory;
  if (mm) {
    const t = mm.timeline;
    const expectedIntervals = Math.floor(mm.expectedWords / 3);
    const pct = expectedIntervals === 0 ? 100 : (100 * t.count) / expectedIntervals;
    let off = 0;
    let suspect = 0;
    for (const f of g.flags ?? []) {
      if (f & MM_FLAG_POWER_OFF) off++;
      if (f & MM_FLAG_CLOCK_SUSPECT) suspect++;
    }
    out.push(
      `  Mass memory  0x${hex(mm.code)} (${mm.source}): ${num(t.count)} intervals of ${t.intervalSeconds / 60} min in ` +
        `${mm.blocks} blocks, ${t.count > 0 ? `${wall(t.firstEnd)} → ${wall(intervalEnd(t, t.count - 1))}` : 'empty'}`,
      `  Completeness ${num(t.count)} of ${num(expectedIntervals)} announced intervals (${num(pct, 1)}%)` +
        `${mm.partial ? ' — TRANSFER INCOMPLETE' : ''}; ${off} marked power-off, ${suspect} clock-suspect`,
    );
    // Per-day energy, newest days last, from pulses × constant.
    const days = new Map<string, { n: number; sums: number[] }>();
    for (let i = 0; i < t.count; i++) {
      const day = operatingDayOfWallEnd(intervalEnd(t, i));
      let d = days.get(day);
      if (!d) {
        d = { n: 0, sums: g.channels.map(() => 0) };
        days.set(day, d);
      }
      d.n++;
      for (let c = 0; c < g.channels.length; c++) {
        const k = g.channels[c].constant;
        d.sums[c] += k.denominator ? (t.values[c][i] * k.numerator) / k.denominator : 0;
      }
    }
    const rows = [...days.entries()].slice(-7);
    if (rows.length > 0) {
      out.push(
        `  ${'day'.padEnd(12)}${'intervals'.padStart(10)}${g.channels.map((c) => `ch${c.index} ${c.quantity.unit}`.padStart(16)).join('')}`,
      );
      for (const [day, d] of rows) {
        out.push(`  ${day.padEnd(12)}${String(d.n).padStart(10)}${d.sums.map((s) => num(s, 2).padStart(16)).join('')}`);
      }
      if (days.size > rows.length) out.push(`  (${days.size - rows.length} earlier days not shown; --json has all)`);
    }
  }
  if (g.registers) {
    const r = g.registers.value;
    out.push(
      `  Registers    0x${hex(g.registers.code)} (raw units): ` +
        r.channels.map((c) => `ch${3 * g.group + c.channel} total ${c.totalRaw ?? '?'}`).join(', '),
    );
  }
}

export function formatReading(r: Reading): string {
  const out: string[] = [];
  const elapsed = r.endedAt - r.startedAt;
  out.push(`Fronteira reading of ${r.address} — sequence '${r.sequence}', reader ${r.readerSerial}`);
  if (r.ok) {
    out.push(
      line('Result', `OK in ${(elapsed / 1000).toFixed(2)} s (${r.steps.length} steps, ${r.frames.length} frames)`),
    );
  } else {
    const f = r.failure!;
    out.push(line('Result', `FAILED at step '${f.step}' after ${(elapsed / 1000).toFixed(2)} s`));
    out.push(line('Why', `[${f.code}] ${f.message}`));
    const failed = r.steps.findLast((s) => s.status === 'failed');
    if (failed?.trace?.length) {
      out.push(line('Link trace', `last events of step '${failed.label}':`));
      for (const ev of failed.trace.slice(-12)) {
        const { kind, ...rest } = ev.event as { kind: string } & Record<string, unknown>;
        const extra = Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === 'number' && k === 'byte' ? `0x${hex(v)}` : String(v)}`)
          .join(' ');
        out.push(`  +${String(Math.round(ev.atMs)).padStart(6)} ms  ${kind} ${extra}`);
      }
    }
    if (r.steps.length === 0 && f.step === 'connect') {
      out.push(line('Hint', 'check the address, the modem and the port; nothing answered the TCP/serial open'));
    } else if (f.code === 'FRONTEIRA_E_LINK_NO_ENQ') {
      out.push(
        line('Hint', 'connected, but the meter never sent ENQ: wrong port/meter, or a line in directional mode'),
      );
    }
  }
  if (r.meterSerial) {
    const id = r.identity;
    out.push(
      line('Meter', `serial ${r.meterSerial}${id ? `, model ${id.model}, software ${id.softwareVersion}` : ''}`),
    );
  }
  if (r.clock) {
    const d = r.clock.driftSeconds;
    out.push(
      line(
        'Clock',
        `meter ${wall(r.clock.meterTime)}, reader ${wall(r.clock.readerTime)} (${r.zone}): drift ${d >= 0 ? '+' : ''}${d} s`,
      ),
    );
  }
  if (r.clockSet) {
    out.push(
      line(
        'Clock set',
        `to ${wall(r.clockSet.setTo)}; drift before ${r.clockSet.before.driftSeconds} s, after ${r.clockSet.after?.driftSeconds ?? '?'} s`,
      ),
    );
  }
  const p = r.groups[0]?.parameters;
  if (p) {
    out.push(
      line(
        'Demand reset',
        `last ${wall(p.lastReset)}, penultimate ${wall(p.penultimateReset)}, count ${p.resetCount}` +
          (p.autoReset.enabled ? `, automatic on day ${p.autoReset.day} at ${p.autoReset.hour}h` : ', automatic off'),
      ),
      line(
        'Intervals',
        `demand ${p.demandIntervalMinutes.current} min, mass memory ${p.massMemoryIntervalSeconds / 60} min; ` +
          `${p.channelGroups ?? '?'} channel group(s); battery ${p.battery.name ?? p.battery.code}`,
      ),
    );
  }
  for (const g of r.groups) groupReport(g, out);
  if (r.outages) {
    const recs = r.outages.value.records;
    out.push('', `Outages (${r.outages.period} period, 0x25): ${recs.length}`);
    for (const o of recs) {
      const len =
        o.start !== null && o.end !== null ? ` (${duration(o.end - o.start)})` : o.end === null ? ' (open)' : '';
      out.push(`  ${wall(o.start)} → ${wall(o.end)}${len}`);
    }
  }
  if (r.alterations) {
    const e = r.alterations.entries;
    out.push('', `Alteration log (0x28): ${e.length} entries`);
    for (const a of e.slice(-8)) {
      out.push(`  ${wall(a.time)}  0x${hex(a.code)} ${a.codeName ?? '(unknown code)'} by reader ${a.readerSerial}`);
    }
  }
  if (r.instant) {
    const i = r.instant;
    const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '?');
    out.push(
      '',
      `Instantaneous (0x14) at ${wall(i.time)}`,
      `  V  ${f(i.voltagePhaseV.a)} / ${f(i.voltagePhaseV.b)} / ${f(i.voltagePhaseV.c)} V   ` +
        `I  ${f(i.currentA.a)} / ${f(i.currentA.b)} / ${f(i.currentA.c)} A`,
      `  P  ${f(i.activePowerKw.total)} kW   Q  ${f(i.reactivePowerKvar.total)} kvar   ` +
        `cos φ ${f(i.cosPhi.total, 3)}   f ${f(i.frequencyHz, 2)} Hz   ${f(i.temperatureC)} °C`,
    );
  }
  if (r.steps.length > 0) out.push('', 'Steps');
  for (const s of r.steps) {
    const t = ((s.endedAt - s.startedAt) / 1000).toFixed(2);
    const extra = s.error ? `${s.error.code}: ${s.error.message}` : (s.note ?? '');
    const st = s.stats;
    const retries =
      st && (st.retries || st.naksSent || st.naksReceived || st.waits || st.reAcks)
        ? ` [retries ${st.retries}, NAK sent ${st.naksSent}, NAK recv ${st.naksReceived}, WAIT ${st.waits}, re-ACK ${st.reAcks}]`
        : '';
    out.push(
      `  ${String(s.index).padStart(2)}  ${s.label.padEnd(14)}${s.status.padEnd(8)}${String(s.blocks).padStart(4)} blk ${t.padStart(7)} s  ${extra}${retries}`,
    );
  }
  if (r.warnings.length > 0) {
    out.push('', `Warnings (${r.warnings.length})`);
    for (const w of r.warnings.slice(0, 20)) out.push(`  ${w}`);
  }
  return `${out.join('\n')}\n`;
}
