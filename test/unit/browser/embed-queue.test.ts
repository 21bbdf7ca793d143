import { describe, expect, it, vi } from 'vitest';
import type { Localrec } from '../../../src/browser/main-client';
import { installEmbed, type EmbedHost } from '../../../src/embed/queue';

function fakeClient(calls: string[], failOn?: string): Localrec {
  const act = (name: string) => async (arg?: unknown) => {
    calls.push(arg === undefined ? name : `${name}:${JSON.stringify(arg)}`);
    if (name === failOn) throw new Error('boom');
    return {} as never;
  };
  return {
    track: act('track'),
    personalise: act('personalise'),
    forget: act('forget'),
    setConsent: (g: boolean) => calls.push(`consent:${g}`),
    setAvailability: async (ids: string[], available: boolean) => calls.push(`availability:${ids.join(',')}=${available}`),
  } as unknown as Localrec;
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('the script-tag queue', () => {
  it('replays queued commands in order with the queued init options, then runs pushed ones directly', async () => {
    const calls: string[] = [];
    const host: EmbedHost = { localrec: [['track', { item: 'a', type: 'view' }], ['init', { model: '/m.json' }], ['forget']] };
    const load = vi.fn(async () => fakeClient(calls));
    const api = installEmbed(host, load, { log: { warn: () => {} }, defaults: { model: '/default.json', backend: 'wasm' } });
    expect(host.localrec).toBe(api);
    api.push(['personalise']);
    await api.ready;
    await flush();
    await flush();
    expect(load).toHaveBeenCalledWith({ model: '/m.json', backend: 'wasm' });
    expect(calls).toEqual(['track:{"item":"a","type":"view"}', 'forget', 'personalise']);
  });

  it('runs setAvailability from the queue and tells the page what to show changed', async () => {
    const calls: string[] = [];
    const onChange = vi.fn();
    const api = installEmbed({ localrec: [['setAvailability', ['p1', 'p2'], false]] }, async () => fakeClient(calls), { log: { warn: () => {} }, defaults: { model: '/m' }, onChange });
    await api.ready;
    await flush();
    expect(calls).toEqual(['availability:p1,p2=false']);
    expect(onChange).toHaveBeenCalledTimes(1);
  });

  it('never replaces a live instance when the script loads twice', () => {
    const host: EmbedHost = { localrec: [] };
    const first = installEmbed(host, async () => fakeClient([]), { log: { warn: () => {} }, defaults: { model: '/m' } });
    const second = installEmbed(host, async () => fakeClient([]), { log: { warn: () => {} }, defaults: { model: '/m' } });
    expect(second).toBe(first);
  });

  it('logs instead of throwing when the SDK cannot start or a command fails', async () => {
    const warn = vi.fn();
    const broken = installEmbed({ localrec: [['track', { item: 'a', type: 'view' }]] }, async () => Promise.reject(new Error('no worker')), { log: { warn }, defaults: { model: '/m' } });
    expect(await broken.ready).toBeNull();
    expect(warn).toHaveBeenCalledWith('could not start:', expect.any(Error));

    const calls: string[] = [];
    const warn2 = vi.fn();
    const api = installEmbed({}, async () => fakeClient(calls, 'track'), { log: { warn: warn2 }, defaults: { model: '/m' } });
    api.push(['track', { item: 'b', type: 'view' }], ['forget'], 'junk' as never);
    await api.ready;
    await flush();
    await flush();
    expect(calls).toEqual(['track:{"item":"b","type":"view"}', 'forget']);
    expect(warn2.mock.calls.map((c) => c[0])).toEqual(['push() expects [command, ...args] arrays or functions', 'track failed:']);

    const warn3 = vi.fn();
    expect(await installEmbed({}, async () => fakeClient([]), { log: { warn: warn3 } }).ready).toBeNull();
    expect(warn3).toHaveBeenCalledTimes(1);
  });

  it('does not let a callback that never settles hold later commands: a withdrawal runs at once, the rest after the bound', async () => {
    const calls: string[] = [];
    const warn = vi.fn();
    const api = installEmbed({}, async () => fakeClient(calls), { log: { warn }, defaults: { model: '/m' }, boundMs: 40 });
    api.push(() => new Promise(() => {}), ['track', { item: 'a', type: 'view' }], ['setConsent', 'denied']);
    await api.ready;
    await flush();
    await flush();
    // The denial waits only for the track to have been made, which waits for the hung callback.
    expect(calls).toEqual([]);
    await new Promise((r) => setTimeout(r, 80));
    expect(calls).toEqual(['track:{"item":"a","type":"view"}', 'consent:denied']);
    expect(warn).toHaveBeenCalledWith('a callback did not finish within 40 ms; later commands run without waiting for it');
  });

  it('runs forget and a denial pushed after a hung callback without waiting for it to settle, in push order', async () => {
    const calls: string[] = [];
    const api = installEmbed({}, async () => fakeClient(calls), { log: { warn: () => {} }, defaults: { model: '/m' } });
    api.push(() => new Promise(() => {}), ['forget'], ['setConsent', 'denied']);
    await api.ready;
    await flush();
    await flush();
    expect(calls).toEqual(['forget', 'consent:denied']);
  });

  it('still waits for a command that settles within the bound before starting the next', async () => {
    const calls: string[] = [];
    let release!: () => void;
    const api = installEmbed({}, async () => fakeClient(calls), { log: { warn: () => {} }, defaults: { model: '/m' }, boundMs: 1000 });
    api.push(() => new Promise<void>((r) => (release = r)).then(() => void calls.push('callback')), ['track', { item: 'a', type: 'view' }]);
    await api.ready;
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toEqual([]);
    release();
    await flush();
    await flush();
    expect(calls).toEqual(['callback', 'track:{"item":"a","type":"view"}']);
  });
});
