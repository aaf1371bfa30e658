/**
 * ACTIVE_CONSUMER_CHANGE (#17): on a Failover subscription the broker tells each consumer when it
 * becomes or stops being the active one; the client reports it per topic, drops what it still
 * queued when it stops (the broker sends that to the new active consumer), and reports
 * "inactive" when its connection is lost (activity belongs to a connection).
 */
import { describe, expect, it } from 'vitest';
import { createClient, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { type ActiveConsumerChange } from '../../../../functions/pulsar/api/index.ts';
import { CommandType, encodeCommand, encodePayloadCommand } from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker, until } from './fake-broker.ts';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

function active(consumerId: number, isActive: boolean): Buffer {
  return encodeCommand({
    type: CommandType.ACTIVE_CONSUMER_CHANGE,
    active_consumer_change: { consumer_id: consumerId, is_active: isActive },
  });
}

function message(consumerId: number, entryId: bigint, payload: string): Buffer {
  return encodePayloadCommand(
    { type: CommandType.MESSAGE, message: { consumer_id: consumerId, message_id: { ledgerId: 3n, entryId } } },
    { producer_name: 'p', sequence_id: 0, publish_time: 1000 },
    Buffer.from(payload),
  );
}

describe('active consumer changes (Failover)', () => {
  it('reports becoming active and inactive, drops queued messages on inactive, and reports inactive on a lost connection', async () => {
    const b = await FakeBroker.start();
    b.handler = defaultHandler;
    broker = b;
    client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0, initialBackoffMs: 50, maxBackoffMs: 100 });
    const changes: ActiveConsumerChange[] = [];
    const c = await client.subscribe({
      topic: 'persistent://public/default/t-partition-2',
      subscription: 'sub',
      subscriptionType: 'Failover',
      onActiveChange: (e) => changes.push(e),
    });
    const consumerId = b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!.consumer_id;
    b.sockets[0]!.write(active(consumerId, true));
    await until(() => changes.length === 1, 'the active change');
    // Subscribed to the partition directly: a topic of its own, no partition index.
    expect(changes[0]).toEqual({ topic: 'persistent://public/default/t-partition-2', partition: -1, active: true });
    // Repeating the same state is not a change.
    b.sockets[0]!.write(active(consumerId, true));
    b.sockets[0]!.write(message(consumerId, 1n, 'a'));
    b.sockets[0]!.write(message(consumerId, 2n, 'b'));
    await until(() => c.queued === 2, 'two queued messages');
    b.sockets[0]!.write(active(consumerId, false));
    await until(() => changes.length === 2, 'the inactive change');
    expect(changes[1]!.active).toBe(false);
    expect(c.queued).toBe(0);
    b.sockets[0]!.write(active(consumerId, true));
    await until(() => changes.length === 3, 'active again');
    // The connection drops: inactive at once, before the broker says anything on a new one.
    b.sockets[0]!.destroy();
    await until(() => changes.length === 4, 'inactive on the lost connection');
    expect(changes[3]!.active).toBe(false);
  });
});
