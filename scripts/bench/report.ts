/**
 * Turns a suite's rows into bench-results/<suite>.json and bench-results/<suite>.md, stamped
 * with the machine they were measured on: numbers from a shared 2-core box and from a 32-core
 * server are not comparable, so every result carries its context.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchCell, SuiteResult } from './suite.ts';

export interface MachineInfo {
  date: string;
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  totalMemBytes: number;
  /** 1-minute load average when the suite started: high means other work competed for the CPUs. */
  loadAvg1m: number;
}

export function machineInfo(now: Date = new Date()): MachineInfo {
  const list = cpus();
  return {
    date: now.toISOString(),
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    totalMemBytes: totalmem(),
    loadAvg1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

export interface BenchReport {
  suite: string;
  machine: MachineInfo;
  durationMs: number;
  broker: { serviceUrl: string; adminUrl: string; started: boolean } | null;
  options: Readonly<Record<string, string>>;
  result: SuiteResult;
}

export function writeReport(dir: string, report: BenchReport): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${report.suite}.json`);
  const md = join(dir, `${report.suite}.md`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(md, renderMarkdown(report));
  return { json, md };
}

export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const out = [
    `# Benchmark: ${report.suite}`,
    '',
    `- date: ${m.date}`,
    `- node: ${m.node} on ${m.platform}`,
    `- cpus: ${m.cpus} x ${m.cpuModel}; memory ${(m.totalMemBytes / 2 ** 30).toFixed(1)} GiB; load (1m) at start ${m.loadAvg1m}`,
    `- broker: ${report.broker === null ? 'none' : `${report.broker.serviceUrl}${report.broker.started ? ' (started for this run)' : ''}`}`,
    `- options: ${
      Object.keys(report.options).length === 0
        ? 'none'
        : Object.entries(report.options)
            .map(([k, v]) => `--${k} ${v}`)
            .join(' ')
    }`,
    `- suite wall time: ${(report.durationMs / 1000).toFixed(1)} s`,
    '',
    renderTable(report.result.rows),
  ];
  const notes = report.result.notes ?? [];
  if (notes.length > 0) out.push('', '## Notes', '', ...notes.map((n) => `- ${n}`));
  return `${out.join('\n')}\n`;
}

/** A GitHub-flavoured table; columns are the union of all rows' keys, in first-seen order. */
export function renderTable(rows: ReadonlyArray<Record<string, BenchCell>>): string {
  if (rows.length === 0) return '_no rows_';
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const cell = (v: BenchCell | undefined): string => (v === undefined ? '' : formatCell(v).replaceAll('|', '\\|'));
  const lines = [
    `| ${cols.join(' | ')} |`,
    `|${cols.map((_, i) => (typeof rows[0]?.[cols[i] ?? ''] === 'number' ? '---:' : '---')).join('|')}|`,
  ];
  for (const r of rows) lines.push(`| ${cols.map((c) => cell(r[c])).join(' | ')} |`);
  return lines.join('\n');
}

function formatCell(v: BenchCell): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
