/**
 * `scripts/pulsar start|stop|status|fetch|env` — a real Apache Pulsar broker for development
 * and tests, fetched and run by the project itself. Run `scripts/pulsar --help`.
 * #15: a thin entry (arguments, help, output) over local-broker/, which does the work.
 */
import { parseArgs } from 'node:util';
import {
  BrokerScriptError,
  GEO_MEMBERS,
  PULSAR_VERSION,
  brokerStatus,
  ensureJars,
  geoEnvLines,
  geoStatus,
  readInfo,
  startBroker,
  startGeo,
  stopBroker,
  stopGeo,
} from '../local-broker/index.ts';

const HELP = `Usage: scripts/pulsar <command> [options]

Commands:
  start    fetch the jars once, start a standalone broker in the background, wait until it is
           really ready, and print KEY=VALUE lines (PULSAR_SERVICE_URL, PULSAR_ADMIN_URL,
           PULSAR_TOKEN with --auth, PULSAR_TLS_SERVICE_URL / PULSAR_TLS_ADMIN_URL /
           PULSAR_TLS_TRUST_CERTS with --tls)
  stop     stop the broker started under --name (by pid), within seconds
  status   say whether it runs and answers its ready endpoint (exit 1 when not)
  env      print the KEY=VALUE lines of a running broker again
  fetch    only resolve the Pulsar ${PULSAR_VERSION} jars into the cache
  geo start|stop|status|env
           a local geo topology: ${GEO_MEMBERS.map((m) => m.region).join(', ')} (clusters ${GEO_MEMBERS.map((m) => m.cluster).join(', ')};
           offsets ${GEO_MEMBERS.map((m) => m.offset).join(', ')}), each its own cluster with its own metadata and
           bookie, registered with each other;
           prints CENTRAL_PULSAR_SERVICE_URL=... and the like per cluster. --region R (repeatable)
           starts or stops only R; --keep-data restarts on the earlier data (an outage drill)

Options:
  --name NAME     instance and cluster name (default: standalone)
  --offset N      add N to every port: broker 6650+N, admin 8080+N, bookie 3181+N (default: 0)
  --auth          token authentication and authorization, with a generated signing key and a
                  superuser token (role "admin")
  --tls           TLS listeners too: broker 6651+N (pulsar+ssl://localhost), admin 8443+N
                  (https://localhost), with a CA and server certificate made once per instance by
                  the openssl CLI (kept across restarts; the plain ports stay open)
  --heap SIZE     JVM heap (default: 1g)

Examples:
  eval "$(scripts/pulsar start)"                      # then run tests against it
  scripts/pulsar start --name edge --offset 0
  scripts/pulsar start --name central --offset 10
  scripts/pulsar start --name secure --offset 20 --auth --tls
  scripts/pulsar stop --name edge
  eval "$(scripts/pulsar geo start)"                  # central, edge-nyc, edge-sfo
  scripts/pulsar geo stop --region central            # cut every edge's link to central
  scripts/pulsar geo start --region central --keep-data
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string', default: 'standalone' },
      offset: { type: 'string', default: '0' },
      auth: { type: 'boolean', default: false },
      tls: { type: 'boolean', default: false },
      heap: { type: 'string' },
      region: { type: 'string', multiple: true },
      'keep-data': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined && !values.help ? 2 : 0;
  }
  const offset = Number(values.offset);
  if (!Number.isInteger(offset) || offset < 0 || offset > 1000) {
    throw new BrokerScriptError(`--offset ${JSON.stringify(values.offset)} is not a whole number from 0 to 1000`, 'pass e.g. --offset 10');
  }
  const say = (line: string): void => void process.stderr.write(`${line}\n`);
  switch (command) {
    case 'geo':
      return geo(positionals[1], values.region, values['keep-data'], values.heap, say);
    case 'fetch': {
      const c = ensureJars(say);
      say(`${c.jars} jars, ${(c.bytes / 1024 / 1024).toFixed(0)} MiB in ${c.dir}${c.fetched ? ' (fetched now)' : ' (cached)'}`);
      return 0;
    }
    case 'start': {
      const t0 = Date.now();
      const info = await startBroker({
        name: values.name,
        offset,
        auth: values.auth,
        tls: values.tls,
        ...(values.heap === undefined ? {} : { heap: values.heap }),
        log: say,
      });
      const seconds = ((Date.now() - t0) / 1000).toFixed(1);
      printEnv(info.name, [`PULSAR_START_SECONDS=${seconds}`]);
      say(`broker "${info.name}" ready in ${seconds} s (pid ${info.pid}; log ${info.logFile})`);
      return 0;
    }
    case 'env': {
      if (!printEnv(values.name)) {
        say(`no broker "${values.name}" is running; start one with \`scripts/pulsar start --name ${values.name}\``);
        return 1;
      }
      return 0;
    }
    case 'stop': {
      const stopped = await stopBroker(values.name);
      say(stopped ? `broker "${values.name}" stopped` : `broker "${values.name}" was not running`);
      return 0;
    }
    case 'status': {
      const s = await brokerStatus(values.name);
      const rss = s.rssBytes === undefined ? '' : `, rss ${(s.rssBytes / 1024 / 1024).toFixed(0)} MiB`;
      say(
        s.running
          ? `broker "${s.name}" running (pid ${s.info?.pid}${rss}), ${s.ready ? 'ready' : 'NOT ready'} at ${s.info?.adminUrl}`
          : `broker "${s.name}" is not running`,
      );
      return s.running && s.ready ? 0 : 1;
    }
    default:
      say(`unknown command ${JSON.stringify(command)}; try \`scripts/pulsar --help\``);
      return 2;
  }
}

async function geo(
  verb: string | undefined,
  regions: string[] | undefined,
  keepData: boolean,
  heap: string | undefined,
  say: (line: string) => void,
): Promise<number> {
  switch (verb) {
    case 'start': {
      const t0 = Date.now();
      await startGeo({ ...(regions === undefined ? {} : { regions }), keepData, ...(heap === undefined ? {} : { heap }), log: say });
      process.stdout.write(`${geoEnvLines().join('\n')}\n`);
      say(`geo topology ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return 0;
    }
    case 'stop': {
      const stopped = await stopGeo(regions);
      say(stopped.length === 0 ? 'no geo broker was running' : `stopped ${stopped.join(', ')}`);
      return 0;
    }
    case 'env':
      process.stdout.write(`${geoEnvLines().join('\n')}\n`);
      return 0;
    case 'status': {
      const all = await geoStatus();
      for (const s of all) {
        const peers = s.peers.length === 0 ? 'no peers registered' : `peers ${s.peers.join(', ')}`;
        say(
          `${s.member.region.padEnd(9)} cluster ${s.member.cluster}: ${s.running ? (s.ready ? 'ready' : 'running, NOT ready') : 'not running'}${s.ready ? `, ${peers}` : ''}`,
        );
      }
      return all.every((s) => s.ready && s.peers.length === GEO_MEMBERS.length - 1) ? 0 : 1;
    }
    default:
      say(`unknown geo command ${JSON.stringify(verb)}; use start, stop, status or env`);
      return 2;
  }
}

function printEnv(name: string, extra: string[] = []): boolean {
  const info = readInfo(name);
  if (!info) return false;
  const lines = [
    `PULSAR_SERVICE_URL=${info.serviceUrl}`,
    `PULSAR_ADMIN_URL=${info.adminUrl}`,
    `PULSAR_CLUSTER=${info.name}`,
    ...(info.token === undefined ? [] : [`PULSAR_TOKEN=${info.token}`, `PULSAR_SECRET_KEY_FILE=${info.secretKeyFile}`]),
    ...(info.tls === undefined
      ? []
      : [
          `PULSAR_TLS_SERVICE_URL=${info.tls.serviceUrl}`,
          `PULSAR_TLS_ADMIN_URL=${info.tls.adminUrl}`,
          `PULSAR_TLS_TRUST_CERTS=${info.tls.trustCertsFile}`,
        ]),
    // One local cluster stands in for every region of a tenant spec (beamline tenant apply).
    `BEAMLINE_LOCAL_CLUSTER=${info.name}`,
    ...extra,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return true;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof BrokerScriptError) {
      process.stderr.write(`error: ${err.message}\nfix: ${err.fix}\n`);
      if (err.logTail) process.stderr.write(`--- broker log (tail) ---\n${err.logTail}\n`);
    } else {
      process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exit(1);
  },
);
