/**
 * Kysely types of the tables in migrations/. Keep in step with the SQL: a column added there is added here.
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string | T, string | T>;

export interface ChannelMapEntry {
  group: number;
  /** Meter channel number 3·group + 1 … 3·group + 3. */
  channel: number;
  quantityCode: number;
  numerator: number;
  denominator: number;
}

export interface MeteringPointTable {
  id: Generated<number>;
  code: string;
  name: string;
  kind: 'fronteira' | 'consumidor_livre' | 'consumidor_especial' | 'geracao' | 'distribuidora';
  segment: 'cativo' | 'livre' | 'geracao' | 'faturamento';
  customer: string | null;
  substation: string | null;
  voltage_kv: number | null;
  load_capacity_kw: number | null;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  timezone: Generated<string>;
  retired_at: Timestamp | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface MeterTable {
  id: Generated<number>;
  point_id: number;
  serial: string;
  manufacturer: string | null;
  model: string | null;
  protocol: Generated<'abnt14522'>;
  role: 'principal' | 'retaguarda';
  mm_interval_s: Generated<number>;
  demand_interval_min: number | null;
  memory_days: Generated<number>;
  tp_ratio: Generated<number>;
  tc_ratio: Generated<number>;
  constants_include_ratios: Generated<boolean>;
  channel_map: Json<ChannelMapEntry[]>;
  valid_from: DefaultedTimestamp;
  valid_to: Timestamp | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface CommChannelTable {
  id: Generated<number>;
  meter_id: number;
  kind: 'tcp' | 'serial';
  address: string;
  reader_serial: Generated<string>;
  directional: Generated<boolean>;
  packing: Generated<'msn-first' | 'lsn-first'>;
  password: Json<Record<string, unknown>> | null;
  timers: Json<Record<string, number>>;
  concurrency_group: string;
  priority: Generated<number>;
  enabled: Generated<boolean>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export type SessionPurpose = 'daily' | 'intraday' | 'gap' | 'manual' | 'clock_sync' | 'parametrization';

export interface ReadSessionTable {
  id: Generated<number>;
  meter_id: number;
  channel_id: number | null;
  purpose: SessionPurpose;
  sequence: string;
  status: 'running' | 'ok' | 'failed';
  started_at: Timestamp;
  ended_at: Timestamp | null;
  steps: Json<unknown[]>;
  bytes_in: Generated<number>;
  bytes_out: Generated<number>;
  failure_step: string | null;
  error_code: string | null;
  error_message: string | null;
  meter_serial: string | null;
  drift_s: number | null;
  intervals: Generated<number>;
  job_id: string | null;
  /** Reading warnings (002_ingest). */
  warnings: ColumnType<string[], string[] | undefined, string[]>;
}

export interface ReadSessionFramesTable {
  session_id: number;
  frame_count: number;
  frames: Uint8Array;
}

export interface IntervalRawTable {
  meter_id: number;
  channel: number;
  day: string;
  interval_s: number;
  slots: number;
  filled: number;
  value: (number | null)[];
  pulses: (number | null)[];
  flags: Uint8Array;
  first_session: number | null;
  last_session: number | null;
  updated_at: DefaultedTimestamp;
}

export type MeterEventKind =
  | 'outage'
  | 'alteration'
  | 'occurrence'
  | 'clock_drift'
  | 'clock_sync'
  | 'conflict'
  | 'parametrization'
  | 'demand_reset'
  | 'serial_mismatch'
  /** Registration (constants, quantity codes, MM interval) differs from what the meter reports (002_ingest). */
  | 'constants_mismatch';

export interface MeterEventTable {
  id: Generated<number>;
  meter_id: number;
  kind: MeterEventKind;
  at: Timestamp;
  ended_at: Timestamp | null;
  detail: Json<Record<string, unknown>>;
  session_id: number | null;
  dedupe: string;
  created_at: DefaultedTimestamp;
}

export type GapState = 'pending' | 'retrying' | 'recovered' | 'lost';

export interface GapTable {
  id: Generated<number>;
  meter_id: number;
  first_end: Timestamp;
  last_end: Timestamp;
  intervals: number;
  state: GapState;
  attempts: Generated<number>;
  next_attempt_at: Timestamp | null;
  last_attempt_at: Timestamp | null;
  last_error: string | null;
  history: Json<unknown[]>;
  created_at: DefaultedTimestamp;
  closed_at: Timestamp | null;
}

export type TaskKind = 'read_now' | 'clock_sync' | 'demand_interval' | 'holidays' | 'demand_reset';

export interface TaskTable {
  id: Generated<number>;
  kind: TaskKind;
  meter_id: number;
  params: Json<Record<string, unknown>>;
  status: 'pending' | 'running' | 'done' | 'failed' | 'cancelled';
  requested_by: string;
  requested_at: DefaultedTimestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  result: Json<Record<string, unknown>> | null;
  session_id: number | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: DefaultedTimestamp;
  actor: string;
  action: string;
  entity: string;
  entity_id: string | null;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
  comment: string | null;
}

export interface LineLeaseTable {
  concurrency_group: string;
  holder: string;
  expires_at: Timestamp;
}

export interface MeterCollectStateTable {
  meter_id: number;
  last_reset: Timestamp | null;
  penultimate_reset: Timestamp | null;
  drift_s: number | null;
  drift_at: Timestamp | null;
  last_attempt_at: Timestamp | null;
  last_ok_at: Timestamp | null;
  failures: Generated<number>;
  last_error: string | null;
  updated_at: DefaultedTimestamp;
}

export interface MeterSnapshotTable {
  id: Generated<number>;
  meter_id: number;
  session_id: number | null;
  kind: 'registers_current' | 'registers_previous' | 'instant';
  channel_group: number;
  at: Timestamp;
  data: Json<Record<string, unknown>>;
}

export interface Schema {
  metering_point: MeteringPointTable;
  meter: MeterTable;
  comm_channel: CommChannelTable;
  read_session: ReadSessionTable;
  read_session_frames: ReadSessionFramesTable;
  interval_raw: IntervalRawTable;
  meter_event: MeterEventTable;
  gap: GapTable;
  task: TaskTable;
  audit_log: AuditLogTable;
  line_lease: LineLeaseTable;
  meter_snapshot: MeterSnapshotTable;
  meter_collect_state: MeterCollectStateTable;
}

// ---------------------------------------------------------------------------------------------------------------
// VEE (006_vee.sql). Merged into Schema by declaration merging, so the tables above stay as they were.

export interface VeeValidatedTable {
  meter_id: number;
  channel: number;
  day: string;
  point_id: number;
  quantity_code: number;
  refused: string | null;
  /** 4 bytes (uint32 LE) per slot. */
  rules: Uint8Array;
  severity: Uint8Array;
  reason: Uint8Array;
  computed_at: DefaultedTimestamp;
}

export interface VeeValidationTable {
  point_id: number;
  day: string;
  findings: Json<unknown[]>;
  outcomes: Json<unknown[]>;
  params_applied: Json<unknown[]>;
  computed_at: DefaultedTimestamp;
}

export interface VeeFinalTable {
  id: Generated<number>;
  point_id: number;
  quantity_code: number;
  day: string;
  version: number;
  interval_s: number;
  slots: number;
  unit: string;
  value: (number | null)[];
  quality: Uint8Array;
  method: Uint8Array;
  reason: Uint8Array;
  source: Uint8Array;
  notes: Json<Record<string, unknown>>;
  counts: number[];
  energy: number;
  cause: Generated<string>;
  created_at: DefaultedTimestamp;
  superseded_at: Timestamp | null;
  locked_at: Timestamp | null;
  locked_by: string | null;
}

export interface VeeParamVersionTable {
  id: Generated<number>;
  scope: string;
  effective_from: string;
  params: Json<Record<string, unknown>>;
  created_by: string;
  created_at: DefaultedTimestamp;
  comment: string | null;
}

export interface VeeCalendarTable {
  id: Generated<number>;
  spec: Json<Record<string, unknown>>;
  created_by: string;
  created_at: DefaultedTimestamp;
  comment: string | null;
}

export type ManualEditKind = 'replace' | 'interpolate' | 'copy_retaguarda' | 'accept';

export interface VeeManualEditTable {
  id: Generated<number>;
  point_id: number;
  quantity_code: number;
  day: string;
  first_slot: number;
  last_slot: number;
  kind: ManualEditKind;
  edit_values: number[] | null;
  comment: string;
  created_by: string;
  created_at: DefaultedTimestamp;
  reversed_at: Timestamp | null;
  reversed_by: string | null;
  reverse_comment: string | null;
}

export interface VeeDirtyTable {
  point_id: number;
  day: string;
  reason: string;
  marked_at: DefaultedTimestamp;
}

export interface Schema {
  vee_validated: VeeValidatedTable;
  vee_validation: VeeValidationTable;
  vee_final: VeeFinalTable;
  vee_param_version: VeeParamVersionTable;
  vee_calendar: VeeCalendarTable;
  vee_manual_edit: VeeManualEditTable;
  vee_dirty: VeeDirtyTable;
}
