/**
 * A registry session for one namespace: a client and the `ModelRegistry` over its `models` and
 * `audit` topics, closed together.
 */
import { ModelRegistry, createClient, type AuditSeal, type PulsarClient } from '../functions/control-plane.ts';

export interface RegistrySessionOptions {
  serviceUrl: string;
  token?: string;
  /** #21: PEM CA bundle for pulsar+ssl:// with a private CA. @default Node's CAs */
  ca?: string | Buffer;
  tenant: string;
  namespace: string;
  /** Recorded as the author of changes. @default the OS user */
  actor?: string;
  /** #21: seals the registry's audit records. @default bare SHA-256 */
  auditSeal?: AuditSeal;
  /** @default 30000 */
  operationTimeoutMs?: number;
}

export interface RegistrySession {
  readonly client: PulsarClient;
  readonly registry: ModelRegistry;
  readonly auditTopic: string;
  /** #23: the namespace, for its other topics (labels, events). */
  readonly tenant: string;
  readonly namespace: string;
  close(): Promise<void>;
}

export async function openRegistrySession(o: RegistrySessionOptions): Promise<RegistrySession> {
  const client = createClient({
    serviceUrl: o.serviceUrl,
    ...(o.token === undefined ? {} : { token: o.token }),
    ...(o.ca === undefined ? {} : { tls: { ca: o.ca } }),
    operationTimeoutMs: o.operationTimeoutMs ?? 30_000,
  });
  try {
    const registry = await ModelRegistry.create({
      client,
      tenant: o.tenant,
      namespace: o.namespace,
      ...(o.actor === undefined ? {} : { actor: o.actor }),
      ...(o.auditSeal === undefined ? {} : { auditSeal: o.auditSeal }),
    });
    let closing: Promise<void> | undefined;
    return {
      client,
      registry,
      auditTopic: `persistent://${o.tenant}/${o.namespace}/audit`,
      tenant: o.tenant,
      namespace: o.namespace,
      close() {
        closing ??= (async () => {
          await registry.close();
          await client.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
}
