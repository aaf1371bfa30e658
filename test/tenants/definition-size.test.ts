import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTenantSpecFile, MAX_TENANT_SPEC_BYTES } from '../../tenants/definition/index.ts';

describe('tenant spec size', () => {
  it('refuses a spec over the limit before reading it, naming the size, the limit and the file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bl-spec-')), 'huge.yaml');
    writeFileSync(file, `tenant: huge\n# ${'x'.repeat(MAX_TENANT_SPEC_BYTES)}\n`);
    expect(() => loadTenantSpecFile(file)).toThrow(
      expect.objectContaining({
        code: 'BL_CONFIG_INVALID',
        field: 'spec',
        message: expect.stringMatching(/huge\.yaml.*over the 1048576-byte limit/),
      }),
    );
  });
});
