import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkFile, checkTree } from '../../scripts/dev/dependency-rules.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const at = (p: string): string => `${root}${p}`;

describe('dependency direction (house style rule 2)', () => {
  it('holds for the whole tree', () => {
    expect(checkTree(root)).toEqual([]);
  });

  it('flags a deep import into another concept folder', () => {
    const v = checkFile(root, at('functions/runtime/worker.ts'), `import { x } from '../pulsar/client/producer.ts';`);
    expect(v.map((x) => x.rule)).toEqual(['import functions/pulsar/ only through its index.ts']);
  });

  it('flags a concept that reaches past the composition root', () => {
    const v = checkFile(root, at('functions/inference/pool.ts'), `import { createClient } from '../pulsar/index.ts';`);
    expect(v).toHaveLength(1);
    expect(v[0]?.rule).toMatch(/runtime\/ is the only composition root/);
  });

  it('flags sockets outside functions/pulsar and ML runtimes outside functions/inference', () => {
    expect(checkFile(root, at('functions/runtime/a.ts'), `import net from 'node:net';`)).toHaveLength(1);
    expect(checkFile(root, at('functions/runtime/a.ts'), `import * as tf from '@tensorflow/tfjs';`)).toHaveLength(1);
    expect(checkFile(root, at('functions/pulsar/wire/a.ts'), `import net from 'node:net';`)).toEqual([]);
    expect(checkFile(root, at('functions/inference/a.ts'), `const ort = await import('onnxruntime-node');`)).toEqual([]);
  });

  it('lets only pulsar/ and the remote-model runtime call other servers with fetch (#25)', () => {
    expect(checkFile(root, at('functions/runtime/a.ts'), `await fetch('http://x');`)).toHaveLength(1);
    expect(checkFile(root, at('functions/inference/ort-runtime.ts'), `await fetch(url);`)).toHaveLength(1);
    expect(checkFile(root, at('functions/inference/remote/oip-client.ts'), `await this.#fetch(url); await fetch(url);`)).toEqual([]);
    expect(checkFile(root, at('functions/runtime/a.ts'), `await view.fetch(url); prefetch(x);`)).toEqual([]);
  });

  it('keeps the OpenTelemetry SDK in functions/tracing/ (#22)', () => {
    expect(
      checkFile(root, at('functions/tracing/otlp-tracer.ts'), `import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';`),
    ).toEqual([]);
    expect(checkFile(root, at('functions/runtime/batch-trace.ts'), `import { trace } from '@opentelemetry/api';`)).toHaveLength(1);
    expect(checkFile(root, at('functions/runtime/a.ts'), `import type { Span } from '@opentelemetry/api';`)).toHaveLength(1);
    expect(checkFile(root, at('sinks/webhook-sink.ts'), `import { trace } from '@opentelemetry/api';`)).toHaveLength(1);
    expect(checkFile(root, at('functions/tracing/a.ts'), `await fetch(url);`)).toHaveLength(1);
  });

  it('flags I/O in windows/ and state/', () => {
    expect(checkFile(root, at('functions/state/store.ts'), `import { readFile } from 'node:fs/promises';`)).toHaveLength(1);
    expect(checkFile(root, at('functions/windows/w.ts'), `import type { KeyValueStore } from '../state/index.ts';`)).toEqual([]);
  });

  it('keeps the Pub/Sub client in bridge/ and makes others use bridge/index.ts (#24)', () => {
    expect(checkFile(root, at('bridge/source.ts'), `import { PubSub } from '@google-cloud/pubsub';`)).toEqual([]);
    expect(checkFile(root, at('cli/commands/bridge.ts'), `import { PubSub } from '@google-cloud/pubsub';`)).toHaveLength(1);
    expect(checkFile(root, at('functions/runtime/a.ts'), `import type { Message } from '@google-cloud/pubsub';`)).toHaveLength(1);
    expect(checkFile(root, at('cli/commands/bridge.ts'), `import { PubsubSource } from '../../bridge/source.ts';`)).toHaveLength(1);
    expect(checkFile(root, at('cli/commands/bridge.ts'), `import { PubsubSource } from '../../bridge/index.ts';`)).toEqual([]);
    expect(checkFile(root, at('bridge/source.ts'), `import { createClient } from '../functions/pulsar/index.ts';`)).toHaveLength(1);
    expect(checkFile(root, at('bridge/source.ts'), `import { createClient } from '../functions/index.ts';`)).toEqual([]);
  });

  it("lets nothing import past a package's index (#15)", () => {
    expect(checkFile(root, at('scripts/bench/a.ts'), `import { createClient } from '@beamline/pulsar';`)).toEqual([]);
    expect(checkFile(root, at('scripts/bench/a.ts'), `import { createClient } from '../../functions/pulsar/index.ts';`)).toEqual([]);
    expect(
      checkFile(root, at('scripts/bench/a.ts'), `import { createClient } from '../../functions/pulsar/client/index.ts';`),
    ).toHaveLength(1);
    expect(checkFile(root, at('scripts/bench/a.ts'), `import { x } from '@beamline/pulsar/client/index.ts';`)).toHaveLength(1);
    expect(checkFile(root, at('functions/runtime/a.ts'), `import { PulsarAdmin } from '../pulsar/admin/index.ts';`)).toHaveLength(1);
    expect(checkFile(root, at('functions/runtime/a.ts'), `import { PulsarAdmin } from '@beamline/pulsar';`)).toEqual([]);
    // Inside the package, files reach each other freely.
    expect(checkFile(root, at('functions/pulsar/native/a.ts'), `import { x } from '../api/client-api.ts';`)).toEqual([]);
    // A bare specifier counts as the package's index for the other rules too.
    expect(checkFile(root, at('tenants/a.ts'), `import { createClient } from '@beamline/pulsar';`)).toHaveLength(1);
    expect(checkFile(root, at('functions/state/a.ts'), `import { createClient } from '@beamline/pulsar';`)).toHaveLength(1);
  });

  it("keeps a package's error codes in its catalogue (#15)", () => {
    expect(checkFile(root, at('functions/pulsar/client/a.ts'), `throw new BeamlineError('BL_PULSAR_X', 'm');`)).toHaveLength(1);
    expect(
      checkFile(root, at('functions/pulsar/client/a.ts'), `throw new BeamlineError(PULSAR_ERROR_CODES.x, 'm'); // BL_PULSAR_X`),
    ).toEqual([]);
    expect(
      checkFile(root, at('functions/pulsar/errors.ts'), `export const PULSAR_ERROR_CODES = Object.freeze({ x: 'BL_PULSAR_X' });`),
    ).toEqual([]);
  });

  it('lets inference/ use only the protobuf writer entry of @beamline/pulsar (#15)', () => {
    expect(
      checkFile(root, at('functions/inference/onnx/onnx-model.ts'), `import { ProtoWriter } from '@beamline/pulsar/protobuf';`),
    ).toEqual([]);
    expect(checkFile(root, at('functions/inference/onnx/onnx-model.ts'), `import { createClient } from '@beamline/pulsar';`)).toHaveLength(
      1,
    );
    expect(checkFile(root, at('functions/state/a.ts'), `import { ProtoWriter } from '@beamline/pulsar/protobuf';`)).toHaveLength(1);
  });

  it('makes tenants/ and models/ go through functions/index.ts', () => {
    expect(checkFile(root, at('tenants/spec.ts'), `import { ConfigError } from '../functions/errors.ts';`)).toHaveLength(1);
    expect(checkFile(root, at('tenants/spec.ts'), `import { ConfigError } from '../functions/index.ts';`)).toEqual([]);
  });

  it('lets tenants/, models/ and bridge/ use the control plane entry, and nothing past it (#15)', () => {
    expect(checkFile(root, at('tenants/spec.ts'), `import { PulsarAdmin } from '../functions/control-plane.ts';`)).toEqual([]);
    expect(checkFile(root, at('models/m.ts'), `import { formatBytes } from '../functions/control-plane.ts';`)).toEqual([]);
    expect(checkFile(root, at('bridge/b.ts'), `import { formatBytes } from '../functions/bytes.ts';`)).toHaveLength(1);
  });
});

describe('#15: cli/ composes tenants/ and models/; product code never imports scripts/', () => {
  it('keeps tenants/ and models/ apart', () => {
    expect(
      checkFile(root, at('tenants/plan/apply.ts'), `import { ReviewQueue } from '../../models/index.ts';`).map((v) => v.rule),
    ).toContain('tenants/ and models/ never import each other (cli/ composes them)');
    expect(
      checkFile(root, at('models/review/queue.ts'), `import type { TenantConfig } from '../../tenants/definition/index.ts';`),
    ).toHaveLength(1);
  });

  it('keeps review/ and sinks/ leaves that use only functions/', () => {
    expect(checkFile(root, at('review/review-queue.ts'), `import { x } from '../tenants/definition/index.ts';`).map((v) => v.rule)).toEqual(
      ['review/ is a leaf: it imports functions/ and nothing else of the product (cli/ composes it)'],
    );
    expect(checkFile(root, at('sinks/webhook-sink.ts'), `import { ReviewQueue } from '../review/index.ts';`)).toHaveLength(1);
    expect(checkFile(root, at('sinks/webhook-sink.ts'), `import { systemClock } from '../functions/index.ts';`)).toEqual([]);
    expect(checkFile(root, at('sinks/webhook-sink.ts'), `import { x } from '../functions/runtime/index.ts';`)).toHaveLength(1);
  });

  it('lets only cli/ import both tenants/ and models/', () => {
    const both = `import { observeTenant } from '../../tenants/plan/index.ts';\nimport { ReviewQueue } from '../../models/index.ts';`;
    expect(checkFile(root, at('cli/commands/a.ts'), both)).toEqual([]);
    expect(checkFile(root, at('demo/a/b.ts'), both).map((v) => v.rule)).toEqual(['only cli/ composes tenants/ and models/']);
    expect(checkFile(root, at('bridge/a/b.ts'), both).map((v) => v.rule)).toEqual(['only cli/ composes tenants/ and models/']);
  });

  it('keeps product code out of scripts/, the demo included', () => {
    const rule = 'product code (functions, tenants, models, review, sinks, cli, bridge, demo, local-broker, bin) never imports scripts/';
    expect(
      checkFile(root, at('cli/commands/demo.ts'), `const { demoMain } = await import('../../scripts/demo/demo.ts');`).map((v) => v.rule),
    ).toEqual([rule]);
    expect(checkFile(root, at('tenants/plan/apply.ts'), `import { x } from '../../scripts/dev/tools.ts';`).map((v) => v.rule)).toEqual([
      rule,
    ]);
    expect(checkFile(root, at('demo/demo.ts'), `import { startBroker } from '../scripts/broker/broker.ts';`).map((v) => v.rule)).toEqual([
      rule,
    ]);
    expect(checkFile(root, at('demo/demo.ts'), `import { runSuite } from '../scripts/bench/suite.ts';`).map((v) => v.rule)).toEqual([rule]);
    expect(checkFile(root, at('local-broker/broker.ts'), `import { x } from '../scripts/dev/tools.ts';`).map((v) => v.rule)).toEqual([
      rule,
    ]);
    expect(checkFile(root, at('scripts/bench/suites/e2e.ts'), `import { runDemo } from '../../../demo/demo.ts';`)).toEqual([]);
  });

  it('lets only demo/, scripts/ and tests start the local broker, through its index', () => {
    expect(checkFile(root, at('demo/demo.ts'), `import { startBroker } from '../local-broker/index.ts';`)).toEqual([]);
    expect(checkFile(root, at('scripts/pulsar-cli.ts'), `import { startBroker } from '../local-broker/index.ts';`)).toEqual([]);
    expect(checkFile(root, at('demo/demo.ts'), `import { startBroker } from '../local-broker/broker.ts';`).map((v) => v.rule)).toEqual([
      'import local-broker/ only through local-broker/index.ts',
    ]);
    expect(checkFile(root, at('test/local-broker/tls.test.ts'), `import { tlsFilesIn } from '../../local-broker/tls.ts';`)).toEqual([]);
    expect(
      checkFile(root, at('cli/commands/a.ts'), `import { startBroker } from '../../local-broker/index.ts';`).map((v) => v.rule),
    ).toEqual(['only demo/, scripts/ and test/ import local-broker/ (a local run, not production)']);
    expect(checkFile(root, at('local-broker/token.ts'), `import { signHs256Token } from '../functions/control-plane.ts';`)).toEqual([]);
    expect(checkFile(root, at('local-broker/a.ts'), `import { x } from '../functions/runtime/index.ts';`)).toHaveLength(1);
    expect(checkFile(root, at('local-broker/a.ts'), `import { x } from '../tenants/plan/index.ts';`).map((v) => v.rule)).toEqual([
      'local-broker/ is a leaf: it imports functions/ and nothing else of the product (demo/, scripts/ and the tests use it)',
    ]);
  });

  it('makes cli/ go through functions/index.ts', () => {
    expect(checkFile(root, at('cli/commands/a.ts'), `import { ConfigError } from '../../functions/errors.ts';`)).toHaveLength(1);
    expect(checkFile(root, at('cli/commands/a.ts'), `import { ConfigError } from '../../functions/index.ts';`)).toEqual([]);
  });
});

describe('shared top-level files', () => {
  it('may name a concept type through its index, never import its implementation', () => {
    const typeOnly = `import type {\n  KeyValueStore,\n} from './state/index.ts';`;
    expect(checkFile(root, at('functions/contract.ts'), typeOnly)).toEqual([]);
    expect(checkFile(root, at('functions/contract.ts'), `import { InMemoryStore } from './state/index.ts';`)).toHaveLength(1);
  });
});
