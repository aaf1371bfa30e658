/** TableView over a compacted topic: replay to the last id taken at start, then follow the tail. */
import { afterAll, describe, expect, it } from 'vitest';
import type { TableChange } from '@beamline/pulsar';
import { cleanupTopics, compact, newClient, topicName } from './client-support.ts';

const client = newClient();
afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

function snapshot(entries: IterableIterator<[string, Buffer]>): Record<string, string> {
  return Object.fromEntries([...entries].map(([k, v]) => [k, v.toString()]).sort());
}

describe('TableView', () => {
  it('replays a compacted topic, applies deletes, ignores keyless messages, then follows the tail', async () => {
    const topic = topicName('table');
    const producer = await client.createProducer({ topic, batching: false });
    await producer.send({ payload: '1', key: 'a' });
    await producer.send({ payload: '2', key: 'b' });
    await producer.send({ payload: '3', key: 'a' });
    await producer.send({ payload: 'x', key: 'c' });
    await producer.send({ payload: '', key: 'c' }); // tombstone
    await producer.send('keyless');
    await compact(topic);
    await producer.send({ payload: '4', key: 'b' }); // after the compaction horizon
    const view = await client.createTableView({ topic });
    expect(view.state).toBe('live');
    expect(snapshot(view.entries())).toEqual({ a: '3', b: '4' });
    const changes: TableChange[] = [];
    view.on('change', (c) => changes.push(c));
    await producer.send({ payload: '5', key: 'd' });
    await producer.send({ payload: '', key: 'a' });
    for (let i = 0; i < 100 && changes.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(changes.map((c) => [c.key, c.value?.toString()])).toEqual([
      ['d', '5'],
      ['a', undefined],
    ]);
    expect(snapshot(view.entries())).toEqual({ b: '4', d: '5' });
    expect(view.get('d')?.toString()).toBe('5');
    await view.close();
    await producer.close();
  });

  it('is caught up at once on an empty topic and when the last message is a tombstone', async () => {
    const empty = topicName('table-empty');
    const p0 = await client.createProducer({ topic: empty });
    const v0 = await client.createTableView({ topic: empty, replayIdleMs: 60_000 });
    expect(v0.size).toBe(0);
    await v0.close();
    await p0.close();

    const topic = topicName('table-tomb');
    const producer = await client.createProducer({ topic, batching: false });
    await producer.send({ payload: '1', key: 'a' });
    await producer.send({ payload: '2', key: 'b' });
    await producer.send({ payload: '', key: 'b' });
    const t0 = Date.now();
    const view = await client.createTableView({ topic, replayIdleMs: 60_000 });
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(snapshot(view.entries())).toEqual({ a: '1' });
    await view.close();
    await producer.close();
  });

  it('refresh() returns once every message written before it is in the view (another writer, batched sends)', async () => {
    const topic = topicName('table-refresh');
    const view = await client.createTableView({ topic });
    // A second client: nothing in this process's connection orders its sends before the refresh.
    const other = newClient();
    try {
      const producer = await other.createProducer({ topic, batching: true, batchingMaxMessages: 50 });
      const sends = Array.from({ length: 200 }, (_, i) => producer.send({ payload: String(i), key: `k${i % 40}` }));
      await Promise.all(sends);
      expect(await view.refresh(30_000)).toBe(true);
      // Each key holds its last value: nothing of what was confirmed before refresh() is missing.
      for (let k = 0; k < 40; k++) expect(view.get(`k${k}`)?.toString()).toBe(String(160 + k));
      // Caught up already: answers at once.
      expect(await view.refresh(30_000)).toBe(true);
      await producer.close();
    } finally {
      await other.close();
      await view.close();
    }
  });
});
