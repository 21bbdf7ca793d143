import { describe, expect, it } from 'vitest';
import { LocalrecError } from '../../../src/errors';

describe('LocalrecError', () => {
  it('carries its code outside the message and survives a postMessage round trip', () => {
    const e = new LocalrecError('invalid-event', 'event 0 is invalid', { index: 0 });
    expect(e.message).not.toContain('invalid-event');
    expect(String(e)).toContain('[invalid-event]');
    const back = LocalrecError.fromJSON(structuredClone(e.toJSON()));
    expect(back).toHaveCode('invalid-event', { index: 0 });
    expect(back.message).toBe(e.message);
  });
});

describe('the toHaveCode matcher every typed-error test uses (test/expect-code.ts)', () => {
  const e = new LocalrecError('invalid-event', 'event 2 is invalid', { index: 2 });
  it('passes on the code (and the details named), for errors, serialised errors and throwing functions', async () => {
    expect(e).toHaveCode('invalid-event', { index: 2 });
    expect(e.toJSON()).toHaveCode('invalid-event');
    expect(() => {
      throw e;
    }).toHaveCode('invalid-event');
    await expect(Promise.reject(e)).rejects.toHaveCode('invalid-event');
  });

  it('fails saying what it got: the other code and its message, other details, no code, nothing thrown', () => {
    expect(() => expect(e).toHaveCode('unknown-item')).toThrow('expected a LocalrecError [unknown-item], got [invalid-event] event 2 is invalid {"index":2}');
    expect(() => expect(e).toHaveCode('invalid-event', { index: 3 })).toThrow('with details {"index":3}');
    expect(() => expect(new Error('plain')).toHaveCode('invalid-event')).toThrow('got Error without a code: plain');
    expect(() => expect(() => 1).toHaveCode('invalid-event')).toThrow('got the function did not throw');
  });
});
