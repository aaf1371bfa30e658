// Fails fast, with the fix, when the Node.js running the tests is too old.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `Beamline needs Node.js >= 22.18 (24 LTS recommended); this is ${process.version}.\n` +
      `Fix: run \`. scripts/use-node.sh\` (installs Node 24 into a cache and puts it first on PATH), then retry.\n`,
  );
  process.exit(1);
}
