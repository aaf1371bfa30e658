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

  it('priorityTopic (#26) is off by default, a topic name when given, and never the input topic itself', () => {
    expect(compileWorkerOptions({ tenant: 't', namespace: 'ns' }).priorityTopic).toBeUndefined();
    expect(compileWorkerOptions({ tenant: 't', namespace: 'ns', priorityTopic: 'events-priority' }).priorityTopic).toBe('events-priority');
    expect(() => compileWorkerOptions({ tenant: 't', namespace: 'ns', priorityTopic: 'events' })).toThrow(
      expect.objectContaining({ field: 'priorityTopic', message: expect.stringContaining('events-priority') }),
    );
    expect(() => compileWorkerOptions({ tenant: 't', namespace: 'ns', priorityTopic: 'not a/topic' })).toThrow(
      expect.objectContaining({ field: 'priorityTopic' }),
    );
  });
});
