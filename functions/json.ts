/**
 * JSON that keeps 64-bit integers exact. Avro `long`s beyond ±(2^53-1) decode to bigint (see
 * README, "Avro long"), and JSON.stringify throws on bigint: here a bigint is written as an exact
 * JSON number, and an integer literal beyond the safe range is read back as a bigint, so outputs,
 * state and dead letters round-trip such values instead of crashing or rounding them.
 */

interface JsonWithRaw {
  rawJSON(text: string): unknown;
}

const raw = (JSON as unknown as JsonWithRaw).rawJSON;

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? raw(value.toString()) : value;
}

/** JSON.stringify, with bigints written as exact JSON numbers. */
export function stringifyJson(value: unknown, space?: number): string | undefined {
  return JSON.stringify(value, replacer, space);
}

const INTEGER_LITERAL = /^-?\d+$/;

/** The source-text argument JSON.parse passes a reviver for primitives (Node 22+). */
interface ReviverContext {
  source?: string;
}

function reviver(_key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value !== 'number' || Number.isSafeInteger(value)) return value;
  const source = context?.source;
  return source !== undefined && INTEGER_LITERAL.test(source) ? BigInt(source) : value;
}

/**
 * Sixteen digits in a row: without such a run no integer literal in a text is beyond ±(2^53-1)
 * (the largest 15-digit integer, 999,999,999,999,999, is below 2^53), so the reviver could change
 * nothing there.
 */
const LONG_DIGIT_RUN = /\d{16}/;

/**
 * JSON.parse, with integers beyond ±(2^53-1) read exactly, as bigint.
 *
 * The reviver runs only for a text with 16 digits in a row: V8 calls it with each primitive's
 * source text, which made a parse 4-5x slower (measured on 53k small state values: 155-183 ms
 * against 36-38 ms; a state restore spent most of its time there, #17), and most texts hold no
 * such number.
 */
export function parseJson(text: string): unknown {
  if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
  return JSON.parse(text, reviver as (this: unknown, key: string, value: unknown) => unknown);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * stringifyJson, or undefined when parseJson would not give the same value back: a bigint within
 * ±(2^53-1) is written as a plain number and read back as a number.
 */
export function stringifyJsonExact(value: unknown): string | undefined {
  let exact = true;
  const text = JSON.stringify(value, (key: string, v: unknown) => {
    if (typeof v === 'bigint' && v >= -MAX_SAFE && v <= MAX_SAFE) exact = false;
    return replacer(key, v);
  });
  return exact ? text : undefined;
}
