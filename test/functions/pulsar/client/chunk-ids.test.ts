/**
 * Chunked-message ids (PIP-37, MessageIdData.first_chunk_message_id): a send resolves with the
 * last chunk's id carrying the first chunk's, and inclusive reader starts include the whole
 * message from its first chunk. The broker round trips are in test/integration/client-chunk-ids.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { isBeforeStart } from '../../../../functions/pulsar/client/produce/message-builder.ts';
import { chunkOps } from '../../../../functions/pulsar/client/produce/op-send.ts';
import { compileReaderOptions } from '../../../../functions/pulsar/api/index.ts';
import { subscribeCommand } from '../../../../functions/pulsar/client/consume/subscribe-command.ts';
import { MessageId } from '../../../../functions/pulsar/wire/index.ts';

const chunked3 = MessageId.chunked(new MessageId(5n, 20n), new MessageId(5n, 22n));

describe('chunked message ids', () => {
  it("a chunked send resolves once, with the last chunk's id carrying the first chunk's", () => {
    const resolved: MessageId[] = [];
    const ops = chunkOps(0, { producer_name: '', sequence_id: 0, publish_time: 0 }, Buffer.alloc(25), 10, 1, {
      resolve: (id) => resolved.push(id),
      reject: () => undefined,
    });
    expect(ops).toHaveLength(3);
    ops.forEach((op, i) => op.callbacks[0]?.resolve(new MessageId(5n, 20n + BigInt(i), -1)));
    expect(resolved).toHaveLength(1);
    expect(resolved[0]?.toString()).toBe('5:22:-1:-1');
    expect(resolved[0]?.firstChunkId?.toString()).toBe('5:20:-1:-1');
  });

  it('an inclusive start at a chunked id includes everything from the first chunk; an exclusive one starts after the last', () => {
    expect(isBeforeStart(new MessageId(5n, 19n), chunked3, true)).toBe(true);
    expect(isBeforeStart(new MessageId(5n, 21n), chunked3, true)).toBe(false);
    expect(isBeforeStart(chunked3, chunked3, true)).toBe(false);
    expect(isBeforeStart(chunked3, chunked3, false)).toBe(true);
    expect(isBeforeStart(new MessageId(5n, 23n), chunked3, false)).toBe(false);
  });

  it('a reader subscribing inclusively at a 3-chunk message starts the broker before its first chunk', () => {
    const cfg = compileReaderOptions({ topic: 'persistent://t/n/x', startMessageId: chunked3, startMessageIdInclusive: true });
    const inclusive = subscribeCommand(cfg, {
      topic: 'persistent://t/n/x',
      consumerId: 1,
      requestId: 1,
      start: chunked3,
      startInclusive: true,
    });
    expect(inclusive.subscribe?.start_message_id).toEqual({ ledgerId: 5n, entryId: 19n });
    const exclusive = subscribeCommand(cfg, {
      topic: 'persistent://t/n/x',
      consumerId: 1,
      requestId: 1,
      start: chunked3,
      startInclusive: false,
    });
    expect(exclusive.subscribe?.start_message_id).toEqual({ ledgerId: 5n, entryId: 22n });
  });
});
