/** A parser for the Prometheus text exposition format (what a worker's /metrics serves). */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/** Every sample line; comments, blank lines and lines it cannot read are skipped. */
export function parsePromText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const s = parseLine(line);
    if (s !== undefined) out.push(s);
  }
  return out;
}

function parseLine(line: string): Sample | undefined {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) return undefined;
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const key = NAME.exec(line.slice(i))?.[0];
      if (key === undefined || line[i + key.length] !== '=' || line[i + key.length + 1] !== '"') return undefined;
      i += key.length + 2;
      let value = '';
      for (; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\') {
          i++;
          value += line[i] === 'n' ? '\n' : (line[i] ?? '');
        } else value += line[i];
      }
      if (line[i] !== '"') return undefined;
      i++;
      labels[key] = value;
    }
  }
  const [v] = line.slice(i).trim().split(/\s+/);
  if (v === undefined || v === '') return undefined;
  const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
  return Number.isNaN(value) && v !== 'NaN' ? undefined : { name, labels, value };
}
