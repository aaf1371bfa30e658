#!/usr/bin/env node
// The CLI is TypeScript run by Node's built-in type stripping (Node >= 22.18); this shim checks
// the version first so older Nodes get a clear message instead of a syntax error.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `beamline needs Node.js >= 22.18 (it runs TypeScript directly); this is Node ${process.versions.node}. Install a newer Node and retry.\n`,
  );
  process.exit(1);
}
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
