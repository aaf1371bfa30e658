/**
 * #26: which events are priority events (the micro-batcher's high lane): a rule from the worker
 * file, e.g. `priority: "amount > 1000"` or a list of such rules (any one matching makes the
 * event a priority event). A rule compares one field of the event (dot path) with a number,
 * a quoted string or true/false.
 *
 *   scoring:
 *     priority: ["amount > 1000", "channel == 'ATM'"]
 */
import { ConfigError } from '../errors.ts';

export type PriorityOperator = '>' | '>=' | '<' | '<=' | '==' | '!=';

/** One rule as text (`amount > 1000`) or as its parts. */
export type PriorityRuleSpec = string | { field: string; op: PriorityOperator; value: number | string | boolean };

/** True when the event should take the high lane. */
export type PriorityRule = (value: unknown) => boolean;

const OPERATORS: readonly PriorityOperator[] = ['>=', '<=', '==', '!=', '>', '<'];
const TEXT = /^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*(>=|<=|==|!=|>|<)\s*(.+?)\s*$/;
const HINT = `write "FIELD OP VALUE" with OP one of ${OPERATORS.join(' ')}, e.g. "amount > 1000" or "channel == 'ATM'"`;

/** Compiles one rule or a list (any match); errors name the field path, the value and the fix. */
export function compilePriorityRule(spec: PriorityRuleSpec | readonly PriorityRuleSpec[], field = 'scoring.priority'): PriorityRule {
  if (Array.isArray(spec)) {
    if (spec.length === 0) throw new ConfigError(field, spec, `give at least one rule; ${HINT}`);
    const rules = spec.map((s, i) => compileOne(s as PriorityRuleSpec, `${field}[${i}]`));
    return (v) => rules.some((r) => r(v));
  }
  return compileOne(spec as PriorityRuleSpec, field);
}

function compileOne(spec: PriorityRuleSpec, field: string): PriorityRule {
  let path: string;
  let op: PriorityOperator;
  let value: number | string | boolean;
  if (typeof spec === 'string') {
    const m = TEXT.exec(spec);
    if (m === null) throw new ConfigError(field, spec, HINT);
    path = m[1] as string;
    op = m[2] as PriorityOperator;
    value = literal(m[3] as string, field, spec);
  } else if (spec !== null && typeof spec === 'object') {
    path = spec.field;
    op = spec.op;
    value = spec.value;
    if (typeof path !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(path))
      throw new ConfigError(`${field}.field`, path, 'name a field of the event (dot path), e.g. amount');
    if (!OPERATORS.includes(op)) throw new ConfigError(`${field}.op`, op, `use one of ${OPERATORS.join(' ')}`);
    if (!['number', 'string', 'boolean'].includes(typeof value))
      throw new ConfigError(`${field}.value`, value, 'use a number, a string or true/false');
  } else {
    throw new ConfigError(field, spec, HINT);
  }
  const ordered = op === '>' || op === '>=' || op === '<' || op === '<=';
  if (ordered && typeof value !== 'number')
    throw new ConfigError(field, spec, `${op} compares numbers; use == or != for ${JSON.stringify(value)}`);
  const parts = path.split('.');
  return (event) => {
    let node: unknown = event;
    for (const p of parts) {
      if (node === null || typeof node !== 'object') return false;
      node = (node as Record<string, unknown>)[p];
    }
    if (ordered) {
      const n = typeof node === 'number' ? node : typeof node === 'string' && node.trim() !== '' ? Number(node) : Number.NaN;
      if (!Number.isFinite(n)) return false;
      const v = value as number;
      return op === '>' ? n > v : op === '>=' ? n >= v : op === '<' ? n < v : n <= v;
    }
    const same = node === value || (typeof value === 'number' && typeof node === 'string' && Number(node) === value);
    return op === '==' ? same : !same;
  };
}

function literal(text: string, field: string, spec: string): number | string | boolean {
  if (text === 'true' || text === 'false') return text === 'true';
  const q = /^(['"])(.*)\1$/.exec(text);
  if (q !== null) return q[2] as string;
  const n = Number(text);
  if (text !== '' && Number.isFinite(n)) return n;
  throw new ConfigError(field, spec, `the value ${JSON.stringify(text)} is not a number, a quoted string or true/false; ${HINT}`);
}
