#!/usr/bin/env node
/**
 * `npm run lint`: formats the code with Prettier, then checks it with ESLint. Under CI=true (or
 * with --check) Prettier only checks, so unformatted code fails the run instead of being
 * rewritten on the CI machine. Formatting covers TypeScript and JavaScript (see .prettierignore).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath, URL } from 'node:url';

const check = process.env.CI === 'true' || process.argv.includes('--check');
const bin = (name) => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(bin('prettier'), [check ? '--check' : '--write', '--log-level', 'warn', '**/*.{ts,mts,js,mjs}']);
run(bin('eslint'), ['.']);
