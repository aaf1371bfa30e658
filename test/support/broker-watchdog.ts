/**
 * Watches the brokers a test run shares (#14). When one stops answering its admin API, every
 * later test on it fails by timeout and the run's log says nothing about why: the broker's own
 * log and threads are on the CI machine only. The watchdog pings each broker's admin API; the
 * first time one does not answer within `hungAfterMs`, it takes the evidence while the broker is
 * still in that state (a thread dump, the heap, the broker log's last warnings) and prints a
 * summary. `report()` prints it again at the end of the run, where a CI log's tail shows it.
 * It never restarts a broker (tests in flight would fail in other ways). A broker that has not
 * answered for `giveUpAfterMs` will not serve the rest of the run either: every later test would
 * wait out its timeouts and the run its CI deadline, and a killed run prints no end; the watchdog
 * prints what it saw and calls `onGiveUp` (the global setup ends the run).
 */
import { execFile } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WatchedBroker {
  name: string;
  pid: number;
  adminUrl: string;
  dir: string;
  logFile: string;
  /** Admin token, where the broker has auth on. */
  token?: string | undefined;
}

export interface WatchdogOptions {
  /** Between pings. @default 10_000 */
  intervalMs?: number;
  /** A broker whose admin API has not answered for this long is hung. @default 45_000 */
  hungAfterMs?: number;
  /** A broker that has not answered for this long is given up on. @default 600_000 */
  giveUpAfterMs?: number;
  /** Called once when a broker is given up on (after the evidence is printed again). */
  onGiveUp?: (broker: WatchedBroker) => void;
  /** Where lines go. @default stderr */
  print?: (line: string) => void;
}

interface Watch {
  broker: WatchedBroker;
  lastOkMs: number;
  pinging: boolean;
  incident: string[] | undefined;
  /** The evidence being taken (a thread dump can take seconds). */
  taking: Promise<void> | undefined;
  recovered: boolean;
}

export class BrokerWatchdog {
  readonly #watches: Watch[] = [];
  readonly #intervalMs: number;
  readonly #hungAfterMs: number;
  readonly #giveUpAfterMs: number;
  readonly #onGiveUp: ((broker: WatchedBroker) => void) | undefined;
  readonly #print: (line: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #gaveUp = false;

  constructor(brokers: readonly WatchedBroker[], options: WatchdogOptions = {}) {
    this.#intervalMs = options.intervalMs ?? 10_000;
    this.#hungAfterMs = options.hungAfterMs ?? 45_000;
    this.#giveUpAfterMs = options.giveUpAfterMs ?? 600_000;
    this.#onGiveUp = options.onGiveUp;
    this.#print = options.print ?? ((line) => void process.stderr.write(`${line}\n`));
    const now = Date.now();
    for (const broker of brokers)
      this.#watches.push({ broker, lastOkMs: now, pinging: false, incident: undefined, taking: undefined, recovered: false });
  }

  start(): void {
    if (this.#timer !== undefined || this.#watches.length === 0) return;
    this.#timer = setInterval(() => {
      for (const w of this.#watches) void this.#check(w);
    }, this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Prints what was seen (nothing when every broker answered throughout). */
  report(): void {
    for (const w of this.#watches) {
      if (w.incident === undefined) continue;
      this.#print(
        `[pulsar ${w.broker.name}] watchdog: the broker hung during this run${w.recovered ? ' (it answered again later)' : ''}; what was seen then:`,
      );
      for (const line of w.incident) this.#print(`[pulsar ${w.broker.name}]   ${line}`);
    }
  }

  async #check(w: Watch): Promise<void> {
    if (w.incident !== undefined && !this.#gaveUp && Date.now() - w.lastOkMs >= this.#giveUpAfterMs) {
      this.#gaveUp = true;
      await w.taking;
      this.#print(
        `[pulsar ${w.broker.name}] watchdog: no answer for ${Math.round((Date.now() - w.lastOkMs) / 1000)} s; giving up on this run`,
      );
      this.report();
      this.#onGiveUp?.(w.broker);
      return;
    }
    if (w.pinging) {
      // A ping still waiting: the hang is measured from the last answer.
      await this.#evidenceIfHung(w);
      return;
    }
    w.pinging = true;
    try {
      const ok = await ping(w.broker, this.#hungAfterMs);
      if (ok) {
        w.lastOkMs = Date.now();
        if (w.incident !== undefined && !w.recovered) {
          w.recovered = true;
          this.#print(`[pulsar ${w.broker.name}] watchdog: the admin API answers again`);
        }
      } else {
        await this.#evidenceIfHung(w);
      }
    } finally {
      w.pinging = false;
    }
  }

  /** The first time w has not answered for hungAfterMs: take the evidence (once per broker). */
  async #evidenceIfHung(w: Watch): Promise<void> {
    if (w.incident === undefined && Date.now() - w.lastOkMs >= this.#hungAfterMs) await (w.taking = this.#takeEvidence(w));
  }

  async #takeEvidence(w: Watch): Promise<void> {
    w.incident = [];
    const b = w.broker;
    const lines = w.incident;
    const stamp = new Date().toISOString();
    lines.push(
      `admin API unanswered for ${Math.round((Date.now() - w.lastOkMs) / 1000)} s at ${stamp} (pid ${b.pid}, alive: ${alive(b.pid)})`,
    );
    // Stopped, spinning (a GC spiral) or idle (a deadlock): the process state and its CPU use.
    const before = procCpu(b.pid);
    await new Promise((r) => setTimeout(r, 2_000));
    const after = procCpu(b.pid);
    if (before !== undefined && after !== undefined) {
      lines.push(
        `process state ${after.state}, CPU ${Math.round(((after.ticks - before.ticks) / CLOCK_TICKS / 2) * 100)} % of one core over 2 s`,
      );
    }
    const dump = await run('jcmd', [String(b.pid), 'Thread.print']);
    if (dump !== undefined) {
      const file = join(b.dir, `watchdog-${stamp.replace(/[:.]/g, '-')}.threads.txt`);
      writeFileSync(file, dump);
      lines.push(`thread dump: ${file}`);
      lines.push(...summariseThreads(dump));
    }
    const heap = await run('jcmd', [String(b.pid), 'GC.heap_info']);
    if (heap !== undefined)
      lines.push(
        ...heap
          .split('\n')
          .filter((l) => /garbage-first heap|Metaspace/.test(l))
          .map((l) => `heap: ${l.trim()}`),
      );
    lines.push(...lastWarnings(b.logFile, 40));
    this.#print(`[pulsar ${b.name}] watchdog: the broker's admin API has not answered for ${this.#hungAfterMs / 1000} s`);
    for (const line of lines) this.#print(`[pulsar ${b.name}]   ${line}`);
  }
}

async function ping(b: WatchedBroker, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(`${b.adminUrl}/admin/v2/clusters`, {
      signal: AbortSignal.timeout(timeoutMs),
      ...(b.token === undefined ? {} : { headers: { authorization: `Bearer ${b.token}` } }),
    });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Linux's USER_HZ: /proc/PID/stat counts CPU time in these. */
const CLOCK_TICKS = 100;

function procCpu(pid: number): { state: string; ticks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces, inside parentheses).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] as string, ticks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

/** Frames of a thread that waits for work (an idle pool thread, a selector): not evidence. */
const IDLE =
  /getTask|SingleThreadExecutor\.run|\.take\(|reservedWait|nioSelect|ServerConnector\.accept|epollWait|EPoll|Selector|DelayedWorkQueue|Reference\.|Thread\.sleep|awaitWork|takeAll|waitForNextTick|Object\.wait\(.*\)$|parkNanos/;

/**
 * The threads of a dump that are not waiting for work: per pool, how many are busy (running or
 * waiting inside a task) out of how many, and their distinct stacks (top frames, grouped). A
 * hung broker shows here as web or metadata threads parked inside a request, or BLOCKED ones.
 */
export function summariseThreads(dump: string): string[] {
  const out: string[] = [];
  const pools = new Map<string, { total: number; busy: number }>();
  const stacks = new Map<string, { threads: string[]; state: string }>();
  for (const block of dump.split(/\n\n+/)) {
    const head = /^"([^"]+)"/.exec(block);
    if (head === null) continue;
    const name = head[1] as string;
    const state = /java\.lang\.Thread\.State: (\w+)/.exec(block)?.[1] ?? 'UNKNOWN';
    const pool = name.replace(/\d+/g, 'N').slice(0, 60);
    let p = pools.get(pool);
    if (p === undefined) pools.set(pool, (p = { total: 0, busy: 0 }));
    p.total++;
    const frames = block
      .split('\n')
      .filter((l) => /^\s+at /.test(l))
      .map((l) => l.trim())
      .filter((l) => !/jdk\.internal|java\.util\.concurrent\.locks|sun\.nio|ForkJoinPool\.(un)?managedBlock/.test(l));
    if (frames.length === 0) continue;
    // Idle: the first frames are the wait for work (a queue, a selector). BLOCKED never is.
    if (state !== 'BLOCKED' && frames.slice(0, 3).some((f) => IDLE.test(f))) continue;
    p.busy++;
    const key = `${state}\n${frames.slice(0, 8).join('\n')}`;
    const s = stacks.get(key);
    if (s === undefined) stacks.set(key, { threads: [name], state });
    else s.threads.push(name);
  }
  const busy = [...pools.entries()].filter(([, p]) => p.busy > 0).sort((a, b) => b[1].busy - a[1].busy);
  out.push(...busy.slice(0, 20).map(([name, p]) => `threads ${name}: ${p.busy} busy of ${p.total}`));
  const grouped = [...stacks.values()].sort((a, b) => b.threads.length - a.threads.length);
  for (const s of grouped.slice(0, 12)) {
    const key = [...stacks.entries()].find(([, v]) => v === s)?.[0] ?? '';
    const [, ...frames] = key.split('\n');
    out.push(`stack of ${s.threads.length} ${s.state} (${s.threads.slice(0, 3).join(', ')}${s.threads.length > 3 ? ', ...' : ''}):`);
    out.push(...frames.map((f) => `    ${f}`));
  }
  return out;
}

/** The last `n` distinct WARN/ERROR lines of the broker's log (its tail only: it can be large). */
export function lastWarnings(logFile: string, n: number): string[] {
  if (!existsSync(logFile)) return [`no broker log at ${logFile}`];
  const size = statSync(logFile).size;
  const len = Math.min(size, 4 * 1024 * 1024);
  const buf = Buffer.alloc(len);
  const fd = openSync(logFile, 'r');
  try {
    readSync(fd, buf, 0, len, size - len);
  } finally {
    closeSync(fd);
  }
  const seen = new Set<string>();
  const picked: string[] = [];
  const lines = buf.toString('utf8').split('\n');
  for (let i = lines.length - 1; i >= 0 && picked.length < n; i--) {
    const line = lines[i] as string;
    if (!/ (WARN|ERROR) /.test(line) && !/OutOfMemory|StackOverflow/.test(line)) continue;
    // Same message from the same logger: once (ids and numbers vary).
    const shape = line
      .replace(/^\S+ \S+/, '')
      .replace(/[0-9a-f-]{8,}|\d+/g, '#')
      .slice(0, 160);
    if (seen.has(shape)) continue;
    seen.add(shape);
    picked.push(`log: ${line.slice(0, 400)}`);
  }
  return picked.reverse();
}
