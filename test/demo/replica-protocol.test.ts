import { describe, expect, it } from 'vitest';
import { parseReplicaLine, partitionLine, readyLine } from '../../demo/replica-protocol.ts';

describe('replica line protocol (#17)', () => {
  it('reads back what a replica writes', () => {
    expect(parseReplicaLine(readyLine().trimEnd())).toEqual({ type: 'ready', info: {} });
    expect(parseReplicaLine(readyLine({ port: 9465, backend: 'cpu' }).trimEnd())).toEqual({
      type: 'ready',
      info: { port: 9465, backend: 'cpu' },
    });
    const event = { kind: 'gained', partition: 3, owned: [0, 3], restoredKeys: 12 };
    expect(parseReplicaLine(partitionLine(event).trimEnd())).toEqual({ type: 'partition', event });
  });

  it('leaves anything else to the caller, a malformed partition line included', () => {
    for (const line of ['loaded', 'stopping mid-commit', 'partition {oops', 'partition {"kind":"gained"}', '{"level":30}'])
      expect(parseReplicaLine(line)).toEqual({ type: 'other', line });
  });
});
