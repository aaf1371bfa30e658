/**
 * `npm run chaos` = `npm run bench -- chaos`: the chaos scenarios (scripts/chaos/) with their
 * verdicts. Starts its own broker (it kills and pauses it), so it never uses PULSAR_SERVICE_URL.
 *
 *   --only a,b        run these scenarios only
 *   --rate N          base events per second (default 50)
 *   --fault-s S       seconds a timed fault is held (default 20)
 *   --pause-s S       seconds the broker is paused (default 30)
 *   --burst-s S       seconds of the producer burst (default 20)
 *   --burst-factor F  the burst's rate as a multiple of --rate (default 100)
 *   --before-s S / --after-s S
 *   --lanes off       priority events on `events` with the rest, no priority lane (#26; default on)
 */
import { chaosNotes, chaosRows, DEFAULT_TIMING, runChaos } from '../../chaos/run.ts';
import { DEFAULT_SCALE } from '../../chaos/scenarios.ts';
import { ConfigError } from '../../../functions/index.ts';
import { numberOption, type BenchContext, type SuiteResult } from '../suite.ts';

export const needsBroker = false;

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const timing = {
    ...DEFAULT_TIMING,
    rate: numberOption(ctx, 'rate', DEFAULT_TIMING.rate),
    beforeS: numberOption(ctx, 'before-s', DEFAULT_TIMING.beforeS),
    afterS: numberOption(ctx, 'after-s', DEFAULT_TIMING.afterS),
    lanes: lanesOption(ctx.options['lanes']),
  };
  const scale = {
    faultS: numberOption(ctx, 'fault-s', DEFAULT_SCALE.faultS),
    pauseS: numberOption(ctx, 'pause-s', DEFAULT_SCALE.pauseS),
    burstS: numberOption(ctx, 'burst-s', DEFAULT_SCALE.burstS),
    burstFactor: numberOption(ctx, 'burst-factor', DEFAULT_SCALE.burstFactor),
    poison: numberOption(ctx, 'poison', DEFAULT_SCALE.poison),
  };
  const only = ctx.options['only']
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const results = await runChaos({
    timing,
    scale,
    ...(only === undefined ? {} : { only }),
    log: (line) => ctx.log.info({ line }, 'chaos'),
  });
  return { rows: chaosRows(results), notes: chaosNotes(results, timing), failed: results.some((r) => r.verdict === 'fail') };
}

function lanesOption(v: string | undefined): boolean {
  if (v === undefined || v === 'on') return true;
  if (v === 'off') return false;
  throw new ConfigError('--lanes', v, 'use on (default) or off');
}
