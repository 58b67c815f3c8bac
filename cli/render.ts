import type { RunRecord } from '#domain/record.ts';
import type { LoopResult } from './backend.ts';
import type { Io } from './io.ts';

/** Renders rows as an aligned plain-text table with a header rule. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((row) =>
    row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))),
  );
  const widths = headers.map((header, index) =>
    Math.max(header.length, ...cells.map((row) => row[index]?.length ?? 0)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

/** `2026-11-20T00:00:00.000Z` -> `2026-11-20 00:00`. */
export function shortTime(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').slice(0, 16) : '-';
}

export function version(version: number | null | undefined): string {
  return version === null || version === undefined ? '-' : `v${version}`;
}

/** A loop's run record, or why its execution failed. */
export function printLoop(io: Io, result: LoopResult): void {
  if (result.record) printRun(io, result.record);
  else io.err(`execution ${result.executionName} failed: ${result.error?.name}: ${result.error?.cause}`);
}

/** A run record: outcome, champion change, the window's KPIs, drift and data quality, and the reasons. */
export function printRun(io: Io, record: RunRecord): void {
  io.out(`${record.modelId}: ${record.outcome} (execution ${record.executionName})`);
  io.out(`  ${record.summary}`);
  io.out(`  champion ${version(record.championBefore)} -> ${version(record.championAfter)}`);
  const observed = record.observed;
  if (observed) {
    const kpis = observed.kpis.map((kpi) => `${kpi.metric} ${kpi.value.toPrecision(4)} (n=${kpi.count})`);
    io.out(
      `  window ${shortTime(observed.window.start)} .. ${shortTime(observed.window.end)}: ${kpis.join(', ') || 'no KPIs'}`,
    );
    if (observed.drift.length > 0) {
      const drift = observed.drift.map(
        (d) => `${d.feature} ${d.score.toPrecision(3)}${d.drifted ? ' (drifted)' : ''}`,
      );
      io.out(`  drift (${observed.drift[0]?.method}): ${drift.join(', ')}`);
    }
    if (observed.quality) {
      const failures = observed.quality.failures;
      io.out(`  data quality ${observed.quality.passed ? 'passed' : `failed: ${failures.join('; ')}`}`);
    }
  }
  // Breach marks only mean something when the rules were applied to this window.
  const judged = record.decision?.action !== 'none' || record.decision?.summary.startsWith('healthy');
  for (const reason of record.decision?.reasons ?? []) {
    io.out(`  ${judged && reason.breached ? '!' : ' '} ${reason.message}`);
  }
}
