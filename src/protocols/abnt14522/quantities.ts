/**
 * Quantity codes ("código de grandeza", spec §9.2): what a channel of a channel group measures. CCEE's two
 * directions map onto them: consumption (canal C, energy delivered to the load) is the "direct" quantity,
 * generation (canal G, energy received from the load side) the "reverse" one.
 */
export type Direction = 'direct' | 'reverse';

export interface Quantity {
  code: number;
  name: string;
  /** Unit of the channel's energy (or of the hourly quantity for power-quality channels). */
  unit: string;
  /** Set for the energy quantities CCEE works with; null for power-quality and undefined codes. */
  direction: Direction | null;
  /** 'active' | 'reactive' | 'reactive-inductive' | 'reactive-capacitive' | 'other' */
  kind: 'active' | 'reactive' | 'reactive-inductive' | 'reactive-capacitive' | 'kq' | 'other' | 'none';
}

const Q = (
  code: number,
  name: string,
  unit: string,
  kind: Quantity['kind'] = 'other',
  direction: Direction | null = null,
): Quantity => ({ code, name, unit, kind, direction });

const TABLE: Quantity[] = [
  Q(0, 'indefinida', '', 'none'),
  Q(1, 'kWh fornecido (direto)', 'kWh', 'active', 'direct'),
  Q(2, 'kvarh', 'kvarh', 'reactive', 'direct'),
  Q(3, 'kQh', 'kQh', 'kq', 'direct'),
  Q(4, 'V²h', 'V²h'),
  Q(5, 'I²h', 'A²h'),
  Q(6, 'desabilitado', '', 'none'),
  Q(7, 'indefinida', '', 'none'),
  Q(8, 'Vh', 'Vh'),
  Q(9, 'Ih', 'Ah'),
  Q(10, 'kvarh indutivo (direto)', 'kvarh', 'reactive-inductive', 'direct'),
  Q(11, 'kvarh capacitivo (direto)', 'kvarh', 'reactive-capacitive', 'direct'),
  Q(12, 'kQh predominantemente indutivo', 'kQh', 'kq', 'direct'),
  Q(13, 'kQh predominantemente capacitivo', 'kQh', 'kq', 'direct'),
  Q(14, 'kWh recebido (reverso)', 'kWh', 'active', 'reverse'),
  Q(15, 'kvarh indutivo recebido (reverso)', 'kvarh', 'reactive-inductive', 'reverse'),
  Q(16, 'kvarh capacitivo recebido (reverso)', 'kvarh', 'reactive-capacitive', 'reverse'),
  Q(17, 'Vah', 'Vh'),
  Q(18, 'Vbh', 'Vh'),
  Q(19, 'Vch', 'Vh'),
  Q(20, 'Iah', 'Ah'),
  Q(21, 'Ibh', 'Ah'),
  Q(22, 'Ich', 'Ah'),
  Q(23, 'FPh trifásico direto', ''),
  Q(24, 'THD-hora total', '%'),
  Q(25, 'kVAh trifásico', 'kVAh'),
  Q(26, 'FPh reverso', ''),
  Q(27, 'FPh direto fase A', ''),
  Q(28, 'FPh direto fase B', ''),
  Q(29, 'FPh direto fase C', ''),
  Q(30, 'THDh tensão A', '%'),
  Q(31, 'THDh tensão B', '%'),
  Q(32, 'THDh tensão C', '%'),
  Q(33, 'THDh corrente A', '%'),
  Q(34, 'THDh corrente B', '%'),
  Q(35, 'THDh corrente C', '%'),
  Q(36, 'Vmax-h A', 'V'),
  Q(37, 'Vmax-h B', 'V'),
  Q(38, 'Vmax-h C', 'V'),
  Q(39, 'Vmin-h A', 'V'),
  Q(40, 'Vmin-h B', 'V'),
  Q(41, 'Vmin-h C', 'V'),
  Q(42, 'I reversa-h A', 'Ah'),
  Q(43, 'I reversa-h B', 'Ah'),
  Q(44, 'I reversa-h C', 'Ah'),
  Q(45, 'I neutro-h', 'Ah'),
  Q(46, 'I neutro-h reversa', 'Ah'),
  Q(47, 'potência ativa A', 'kW'),
  Q(48, 'potência ativa B', 'kW'),
  Q(49, 'potência ativa C', 'kW'),
  Q(50, 'potência ativa reversa A', 'kW'),
  Q(51, 'potência ativa reversa B', 'kW'),
  Q(52, 'potência ativa reversa C', 'kW'),
];

const BY_CODE = new Map(TABLE.map((q) => [q.code, q]));
const ABSENT = Q(99, 'canal inexistente', '', 'none');

/** Meaning of a quantity code; unknown (vendor) codes come back described as such, never rejected. */
export function quantity(code: number): Quantity {
  if (code === 99) return ABSENT;
  return BY_CODE.get(code) ?? Q(code, `código desconhecido ${code}`, '', 'other');
}

/** The usual channel groups of a four-quadrant SMF meter: group 0 direct, group 1 reverse. */
export const DIRECT_GROUP_CODES = [1, 10, 11] as const;
export const REVERSE_GROUP_CODES = [14, 15, 16] as const;
