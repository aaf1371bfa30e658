import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastWarnings, summariseThreads } from './broker-watchdog.ts';

const DUMP = `2026-12-07 21:00:00
Full thread dump OpenJDK 64-Bit Server VM:

"pulsar-web-41-1" #51 prio=5 os_prio=0 tid=0x1 nid=0x2 waiting on condition
   java.lang.Thread.State: WAITING (parking)
\tat jdk.internal.misc.Unsafe.park(java.base@17/Native Method)
\tat java.util.concurrent.CompletableFuture.get(java.base@17/CompletableFuture.java:2096)
\tat org.apache.pulsar.broker.admin.impl.NamespacesBase.internalDeleteNamespace(NamespacesBase.java:300)
\tat org.apache.pulsar.broker.admin.v2.Namespaces.deleteNamespace(Namespaces.java:200)

"pulsar-web-41-2" #52 prio=5 os_prio=0 tid=0x1 nid=0x3 waiting on condition
   java.lang.Thread.State: WAITING (parking)
\tat jdk.internal.misc.Unsafe.park(java.base@17/Native Method)
\tat java.util.concurrent.CompletableFuture.get(java.base@17/CompletableFuture.java:2096)
\tat org.apache.pulsar.broker.admin.impl.NamespacesBase.internalDeleteNamespace(NamespacesBase.java:300)
\tat org.apache.pulsar.broker.admin.v2.Namespaces.deleteNamespace(Namespaces.java:200)

"pulsar-web-41-3" #53 prio=5 os_prio=0 tid=0x1 nid=0x6 waiting on condition
   java.lang.Thread.State: WAITING (parking)
\tat jdk.internal.misc.Unsafe.park(java.base@17/Native Method)
\tat org.eclipse.jetty.util.BlockingArrayQueue.take(BlockingArrayQueue.java:342)
\tat java.util.concurrent.ThreadPoolExecutor.getTask(java.base@17/ThreadPoolExecutor.java:1062)

"bookie-io-1-1" #60 prio=5 os_prio=0 tid=0x1 nid=0x4 runnable
   java.lang.Thread.State: RUNNABLE
\tat io.netty.channel.epoll.Native.epollWait(Native Method)

"main-lock-holder" #61 prio=5 os_prio=0 tid=0x1 nid=0x5 waiting for monitor entry
   java.lang.Thread.State: BLOCKED (on object monitor)
\tat org.apache.pulsar.broker.service.BrokerService.getTopic(BrokerService.java:1000)
`;

describe('broker watchdog evidence (#14)', () => {
  it('counts busy threads per pool and groups the web threads that wait on the same frames', () => {
    const lines = summariseThreads(DUMP);
    // Two web threads wait inside a request; the third waits for work and is not counted busy.
    expect(lines).toContain('threads pulsar-web-N-N: 2 busy of 3');
    const stack = lines.findIndex((l) => l.startsWith('stack of 2 WAITING (pulsar-web-41-1, pulsar-web-41-2)'));
    expect(stack).toBeGreaterThanOrEqual(0);
    // Parking frames are dropped; what it waits in is kept, in order.
    expect(lines[stack + 1]).toMatch(/CompletableFuture\.get/);
    expect(lines[stack + 2]).toMatch(/NamespacesBase\.internalDeleteNamespace/);
    // A blocked thread is reported whatever its pool.
    expect(lines.some((l) => l.startsWith('stack of 1 BLOCKED (main-lock-holder)'))).toBe(true);
    // Idle threads (an event loop's select, a pool's wait for work) are not.
    expect(lines.some((l) => l.includes('bookie-io') || l.includes('pulsar-web-41-3'))).toBe(false);
  });

  it('picks the last distinct warnings and errors of the broker log, oldest first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bl-watchdog-'));
    const log = join(dir, 'broker.log');
    writeFileSync(
      log,
      [
        '2026-12-07T21:00:00,001 INFO  [main] X - started',
        '2026-12-07T21:00:01,001 WARN  [io-1] ServerCnx - closed connection 1234',
        '2026-12-07T21:00:02,001 WARN  [io-2] ServerCnx - closed connection 5678',
        '2026-12-07T21:00:03,001 ERROR [web-1] Namespaces - failed to delete bl-x/ns',
        '',
      ].join('\n'),
    );
    const lines = lastWarnings(log, 10);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/closed connection 5678/);
    expect(lines[1]).toMatch(/failed to delete/);
    expect(lastWarnings(join(dir, 'none.log'), 10)).toEqual([`no broker log at ${join(dir, 'none.log')}`]);
  });
});
