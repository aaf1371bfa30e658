import { describe, expect, it } from 'vitest';
import {
  AUDIT_CHAIN_PROPERTIES,
  AuditChainWriter,
  auditSealOf,
  compileKeyring,
  newKeyringDocument,
  rotateKeyringDocument,
  verifyAuditChain,
  type AuditRecordRead,
  type AuditVerifyOptions,
} from '../../../functions/governance/index.ts';

const keyring = compileKeyring(newKeyringDocument('k1'), 'test keys');

function write(w: AuditChainWriter, n: number, from = 0, partition = -1): AuditRecordRead[] {
  const rs = Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, payload: Buffer.from(`{"decision":${from + i}}`) }));
  return w
    .link(rs)
    .map((properties, i) => ({ messageId: `m${from + i}`, partition, ...(rs[i] as { key: string; payload: Buffer }), properties }));
}

const kinds = (rs: readonly AuditRecordRead[], o: AuditVerifyOptions = { keyring }): string[] =>
  verifyAuditChain(rs, o).problems.map((p) => `${p.kind}@${p.messageId}`);

describe('audit chain (#21)', () => {
  it('an untouched trail from several writers verifies, each writer with its last hash', () => {
    const a = new AuditChainWriter({ seal: auditSealOf(keyring), role: 'worker' });
    const b = new AuditChainWriter({ seal: auditSealOf(keyring), role: 'registry' });
    const ra = write(a, 5);
    const rb = write(b, 3, 100);
    // Interleaved as two producers' records land on one topic.
    const trail = [ra[0], rb[0], ra[1], ra[2], rb[1], ra[3], rb[2], ra[4]] as AuditRecordRead[];
    const r = verifyAuditChain(trail, { keyring });
    expect(r.ok).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.writers.map((w) => [w.writer.split('-')[0], w.records, w.lastSeq])).toEqual([
      ['registry', 3, 2],
      ['worker', 5, 4],
    ]);
    expect(r.writers.every((w) => w.sealedWith === 'hmac-sha256 (key k1)')).toBe(true);
  });

  it('finds a removed, an altered, a reordered, a forged and an unchained record', () => {
    const w = new AuditChainWriter({ seal: auditSealOf(keyring), role: 'worker' });
    const trail = write(w, 6);
    expect(kinds(trail.filter((_, i) => i !== 2))).toEqual(['removed@m3']);
    expect(kinds(trail.slice(1))).toEqual(['removed@m1']); // the head cut off
    const altered = trail.map((r, i) => (i === 4 ? { ...r, payload: Buffer.from('{"decision":"approve"}') } : r));
    expect(kinds(altered)).toEqual(['altered@m4', 'removed@m5']);
    const rekeyed = trail.map((r, i) => (i === 1 ? { ...r, key: 'someone-else' } : r));
    expect(kinds(rekeyed)).toEqual(['altered@m1', 'removed@m2']);
    const swapped = [trail[0], trail[2], trail[1], trail[3], trail[4], trail[5]] as AuditRecordRead[];
    expect(kinds(swapped)).toEqual(['reordered@m2']); // m2 comes before m1, the record it follows
    // A forger with produce rights but not the tenant key: a plain-SHA-256 seal over its own record
    // claims a place in the worker's chain.
    const forger = new AuditChainWriter({ seal: { kind: 'sha256' }, role: 'worker' });
    const [forged] = forger.link([{ key: 'k9', payload: Buffer.from('{"decision":"approve"}') }]) as [Record<string, string>];
    const fake = { messageId: 'fake', partition: -1, key: 'k9', payload: Buffer.from('{"decision":"approve"}') };
    const claimed = {
      ...forged,
      [AUDIT_CHAIN_PROPERTIES.writer]: w.writerId,
      [AUDIT_CHAIN_PROPERTIES.mac]: (forged[AUDIT_CHAIN_PROPERTIES.mac] as string).replace('sha256:', `hmac-sha256:k1:`),
    };
    expect(kinds([...trail.slice(0, 3), { ...fake, properties: claimed }, ...trail.slice(3)])).toEqual(['altered@fake']);
    // A forger sealing with bare SHA-256 under the worker's own writer id: a valid SHA-256 link
    // (a fork at #0, which alone would pass as a resend), refused because the writer is keyed.
    const downgrade = new AuditChainWriter({ seal: { kind: 'sha256' }, role: 'worker' });
    Object.defineProperty(downgrade, 'writerId', { value: w.writerId });
    const [linked] = downgrade.link([{ key: 'k9', payload: fake.payload }]) as [Record<string, string>];
    expect(linked[AUDIT_CHAIN_PROPERTIES.writer]).toBe(w.writerId);
    expect(kinds([...trail, { ...fake, properties: linked }])).toEqual(['forged@fake']);
    expect(kinds([...trail, { ...fake, properties: {} }])).toEqual(['unchained@fake']);
    expect(verifyAuditChain([...trail, { ...fake, properties: {} }], { keyring, allowUnchained: true }).ok).toBe(true);
    // Without the keyring an HMAC seal cannot be checked: said, not passed.
    expect(kinds(trail.slice(0, 1), {})).toEqual(['unknown-key@m0']);
  });

  it('an aborted batch leaves no gap: staged links are discarded; a resent batch is a resend, not a problem', () => {
    const w = new AuditChainWriter({ seal: auditSealOf(keyring), role: 'worker' });
    const first = write(w, 2);
    const batch = [
      { key: 'a', payload: Buffer.from('1') },
      { key: 'b', payload: Buffer.from('2') },
    ];
    w.stage(batch); // its transaction aborts: nothing reaches the topic
    w.discard();
    const again = w
      .stage(batch)
      .map((properties, i) => ({ messageId: `r${i}`, partition: -1, ...(batch[i] as { key: string; payload: Buffer }), properties }));
    w.commit();
    expect(verifyAuditChain([...first, ...again], { keyring }).problems).toEqual([]);
    // At least once: the first record of a batch was published, the second failed; the batch
    // is written again from the same link, one of its records now different (a new decision time).
    const partial = w
      .stage(batch)
      .map((properties, i) => ({ messageId: `p${i}`, partition: -1, ...(batch[i] as { key: string; payload: Buffer }), properties }));
    w.discard();
    const redo = [{ key: 'a', payload: Buffer.from('1b') }, batch[1] as { key: string; payload: Buffer }];
    const resent = w
      .stage(redo)
      .map((properties, i) => ({ messageId: `q${i}`, partition: -1, ...(redo[i] as { key: string; payload: Buffer }), properties }));
    w.commit();
    const r = verifyAuditChain([...first, ...again, partial[0] as AuditRecordRead, ...resent], { keyring });
    expect(r.problems).toEqual([]);
    expect(r.resends).toBe(1);
  });

  it('checks across partitions; order is judged only within one; survives key rotation', () => {
    const w = new AuditChainWriter({ seal: auditSealOf(keyring), role: 'worker' });
    const rs = write(w, 4).map((r, i) => ({ ...r, partition: i % 2 }));
    // Partition 1's records read before partition 0's: not a reordering.
    expect(kinds([rs[1], rs[3], rs[0], rs[2]] as AuditRecordRead[])).toEqual([]);
    const rotated = compileKeyring(rotateKeyringDocument(newKeyringDocumentFrom(keyring), 'k2'), 'rotated');
    expect(verifyAuditChain(rs, { keyring: rotated }).ok).toBe(true);
  });

  it('an anchor from an earlier verify finds a cut-off tail and a writer gone altogether', () => {
    const a = new AuditChainWriter({ seal: auditSealOf(keyring), role: 'worker' });
    const b = new AuditChainWriter({ seal: auditSealOf(keyring), role: 'registry' });
    const trail = [...write(a, 5), ...write(b, 2, 100)];
    const anchors = verifyAuditChain(trail, { keyring }).writers;
    // Later: more records; the anchor still holds (its heads are in the trail).
    const later = [...trail, ...write(a, 3, 5)];
    expect(verifyAuditChain(later, { keyring, anchors }).problems).toEqual([]);
    // The last two records of the worker cut off: nothing inside the topic shows it, the anchor does.
    expect(verifyAuditChain(trail.slice(0, 3), { keyring }).problems).toEqual([]);
    expect(kinds([...trail.slice(0, 3), ...trail.slice(5)], { keyring, anchors })).toEqual(['truncated@m2']);
    expect(verifyAuditChain(trail.slice(0, 5), { keyring, anchors }).problems).toMatchObject([
      { kind: 'truncated', writer: b.writerId, seq: 1, detail: expect.stringContaining('none of its records') },
    ]);
  });

  it('without a keyring the chain is bare SHA-256 and says so', () => {
    const w = new AuditChainWriter({ seal: auditSealOf(undefined), role: 'registry' });
    const r = verifyAuditChain(write(w, 3));
    expect(r.ok).toBe(true);
    expect(r.writers[0]?.sealedWith).toMatch(/^sha256 \(no keyring/);
  });
});

function newKeyringDocumentFrom(k: typeof keyring): { current: string; tokens: string; keys: Record<string, string> } {
  return { current: k.currentId, tokens: k.tokenKeyId, keys: Object.fromEntries(k.ids.map((id) => [id, k.key(id).toString('base64')])) };
}
