import { describe, expect, it } from 'vitest';
import { compileWorkerOptions } from '../../../functions/runtime/index.ts';

describe('compileWorkerOptions', () => {
  it('standbyState (#17) is off by default, and anything but a boolean is refused naming the field', () => {
    expect(compileWorkerOptions({ tenant: 't', namespace: 'ns' }).standbyState).toBe(false);
    expect(compileWorkerOptions({ tenant: 't', namespace: 'ns', standbyState: true }).standbyState).toBe(true);
    expect(() => compileWorkerOptions({ tenant: 't', namespace: 'ns', standbyState: 'yes' as unknown as boolean })).toThrow(
      expect.objectContaining({ field: 'standbyState', message: expect.stringContaining('true or false') }),
    );
  });
});
