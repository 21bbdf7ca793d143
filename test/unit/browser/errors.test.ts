import { describe, expect, it } from 'vitest';
import { DEV } from '../../../src/dev';
import { LocalrecError, isLocalrecError } from '../../../src/errors';

describe('LocalrecError', () => {
  it('carries its code outside the message and survives a postMessage round trip', () => {
    const e = new LocalrecError('invalid-event', 'event 0 is invalid', { index: 0 });
    expect(e.message).not.toContain('invalid-event');
    expect(String(e)).toContain('[invalid-event]');
    const back = LocalrecError.fromJSON(structuredClone(e.toJSON()));
    expect(isLocalrecError(back, 'invalid-event')).toBe(true);
    expect(back).toMatchObject({ code: 'invalid-event', message: e.message, details: { index: 0 } });
  });

  it('keeps developer hints outside production builds (Node and vitest count as development)', () => {
    expect(DEV).toBe(true);
    const e = new LocalrecError('consent-required', 'short', {}, DEV ? 'a long hint' : undefined);
    expect(e.message).toContain('a long hint');
  });
});
