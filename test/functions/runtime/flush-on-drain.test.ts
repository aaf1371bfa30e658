/**
 * flushWindowsOnDrain (issue #16): a bounded replay fires its open windows when the worker
 * drains, committing the results with the window state; without the option (the default, for
 * unbounded streams) open windows stay open and resume after a restart.
 */
import { describe, expect, it } from 'vitest';
import type { EventRecord, HandlerContext } from '../../../functions/contract.ts';
import { jsonSchema } from '../../../functions/pulsar/index.ts';
import { Ingress, NamespaceWorker, schemaDecoder, type WorkerHandler } from '../../../functions/runtime/index.ts';
import { InMemoryWorkerIo } from '../../../functions/runtime/testing/index.ts';
import type { WindowResult } from '../../../functions/windows/index.ts';

interface Click {
  page: string;
}

const schema = jsonSchema<Click>({ type: 'record', name: 'Click', fields: [{ name: 'page', type: 'string' }] });

const handler: WorkerHandler<Click> = {
  windows: { type: 'tumbling', sizeMs: 1000 },
  process: (record: EventRecord<WindowResult>, ctx: HandlerContext) => {
    ctx.emit({ key: record.value.key, startMs: record.value.startMs, count: record.value.value });
  },
} as WorkerHandler<Click>;

function worker(io: InMemoryWorkerIo, flushWindowsOnDrain?: boolean): NamespaceWorker<Click> {
  return NamespaceWorker.create<Click>(
    {
      tenant: 't',
      namespace: 'ns',
      batchMaxRecords: 10,
      batchMaxWaitMs: 0,
      httpPort: -1,
      ...(flushWindowsOnDrain === undefined ? {} : { flushWindowsOnDrain }),
    },
    { io, ingress: new Ingress({ decode: schemaDecoder(schema) }), handler },
  );
}

const click = (page: string, eventTimeMs: number): { key: string; payload: Buffer; eventTimeMs: number } => ({
  key: page,
  payload: Buffer.from(JSON.stringify({ page })),
  eventTimeMs,
});

const results = (io: InMemoryWorkerIo): unknown[] => io.output('predictions').map((o) => JSON.parse(o.payload.toString()) as unknown);

describe('flushWindowsOnDrain', () => {
  it('off (default): open windows are not fired on drain and resume after a restart', async () => {
    const io = new InMemoryWorkerIo();
    const w1 = worker(io);
    expect(w1.config.flushWindowsOnDrain).toBe(false);
    await w1.start();
    io.push(click('a', 1000), click('a', 1500), click('b', 1700));
    await io.acknowledged(3);
    await w1.drain();
    expect(results(io)).toEqual([]);

    io.reopen();
    const w2 = worker(io);
    await w2.start();
    // The restored window still counts: the next window's first event fires it.
    io.push(click('a', 2100));
    await io.acknowledged(4);
    await w2.drain();
    expect(results(io)).toEqual([
      { key: 'a', startMs: 1000, count: 2 },
      { key: 'b', startMs: 1000, count: 1 },
    ]);
  });

  it('on: drain fires every open window and commits the results with the window state', async () => {
    const io = new InMemoryWorkerIo();
    const w1 = worker(io, true);
    await w1.start();
    io.push(click('a', 1000), click('a', 1500), click('b', 1700), click('a', 2100));
    await io.acknowledged(4);
    await w1.drain();
    expect(w1.state).toBe('closed');
    expect(results(io)).toEqual([
      { key: 'a', startMs: 1000, count: 2 },
      { key: 'b', startMs: 1000, count: 1 },
      { key: 'a', startMs: 2000, count: 1 },
    ]);
    // Committed with the state: a restart on it fires nothing again.
    io.reopen();
    const w2 = worker(io, true);
    await w2.start();
    await w2.drain();
    expect(results(io)).toHaveLength(3);
  });

  it('refuses a non-boolean, naming the option', () => {
    expect(() => worker(new InMemoryWorkerIo(), 'yes' as unknown as boolean)).toThrow(
      expect.objectContaining({ code: 'BL_CONFIG_INVALID', message: expect.stringContaining('flushWindowsOnDrain') }),
    );
  });
});
