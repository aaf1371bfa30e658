/**
 * Why a replica's first transactional message to each shared output topic goes alone.
 * Pulsar 4.0.7 takes a topic's first transaction-buffer snapshot when the first transactional
 * message is published to it; concurrent first publishes race on that snapshot and can leave the
 * topic refusing every transactional publish from then on ("Transaction Buffer take first
 * snapshot failed, the current state is: Ready", until the topic is unloaded; apache/pulsar#24945,
 * fixed upstream after 4.0.7). Seen once in the 30,000-event replica test on a fresh broker: the
 * `predictions` topic stuck, every commit failing. The partitions of one replica commit to the
 * same output topics at once, so the first batch of each topic here waits for one aborted
 * transactional message (never delivered: consumers and readers skip aborted messages) to be
 * published alone. Replicas starting together can still race each other on a brand-new topic.
 * TODO(#17): `beamline tenant apply` publishing that message when it creates the topic (it has no
 * binary client yet) would close the last window.
 */
export class FirstSendGate<K> {
  readonly #done = new Map<K, Promise<void>>();

  /**
   * Resolves once `prime` ran to its end for `key` in this process: the first caller runs it, the
   * others wait for it. A failed prime is forgotten, so the next caller tries again; it rejects
   * only the callers that waited on it.
   */
  pass(key: K, prime: () => Promise<void>): Promise<void> {
    let p = this.#done.get(key);
    if (p === undefined) {
      p = prime();
      this.#done.set(key, p);
      p.catch(() => {
        if (this.#done.get(key) === p) this.#done.delete(key);
      });
    }
    return p;
  }
}
