import { describe, expect, it, vi } from 'vitest';
import type { Localrec } from '../../../src/browser/main-client';
import { ga4TrackEvents, trackDataLayer } from '../../../src/embed/datalayer';
import { installEmbed, type EmbedHost } from '../../../src/embed/queue';

function gtagArguments(..._args: unknown[]): IArguments {
  // eslint-disable-next-line prefer-rest-params
  return arguments;
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('GA4 ecommerce events from the dataLayer', () => {
  it('maps view_item, add_to_cart and purchase with their items to view, cart and purchase events', () => {
    expect(ga4TrackEvents({ event: 'view_item', ecommerce: { items: [{ item_id: 'p1', item_name: 'Shoe' }] } })).toEqual([{ item: 'p1', type: 'view' }]);
    expect(ga4TrackEvents({ event: 'add_to_cart', ecommerce: { items: [{ item_id: 'p1' }, { item_id: 7 }] } })).toEqual([
      { item: 'p1', type: 'cart' },
      { item: '7', type: 'cart' },
    ]);
    expect(ga4TrackEvents(gtagArguments('event', 'purchase', { transaction_id: 't1', items: [{ item_id: 'p2' }] }))).toEqual([{ item: 'p2', type: 'purchase' }]);
  });

  it('ignores other events, the ecommerce reset push, consent commands and items without an id', () => {
    for (const entry of [
      { event: 'page_view' },
      { ecommerce: null },
      { event: 'view_item', ecommerce: { items: [{ item_name: 'no id' }] } },
      gtagArguments('consent', 'update', { personalization_storage: 'granted' }),
      gtagArguments('event', 'view_item_list', { items: [{ item_id: 'p1' }] }),
      'view_item',
      null,
    ]) {
      expect(ga4TrackEvents(entry)).toEqual([]);
    }
  });

  it('replays pushes made before the loader, once, then follows new ones', () => {
    const dataLayer: unknown[] = [{ event: 'view_item', ecommerce: { items: [{ item_id: 'early' }] } }];
    const tracked: string[] = [];
    trackDataLayer({ dataLayer }, (events) => tracked.push(...events.map((e) => `${e.type}:${e.item}`)));
    dataLayer.push({ event: 'add_to_cart', ecommerce: { items: [{ item_id: 'late' }] } });
    expect(tracked).toEqual(['view:early', 'cart:late']);
  });
});

describe('the script-tag queue with dataLayer: true', () => {
  function fakeClient(calls: string[]): Localrec {
    return { track: async (e: unknown) => void calls.push(`track:${JSON.stringify(e)}`) } as unknown as Localrec;
  }

  it('tracks GA4 pushes only when the shop opted in', async () => {
    const host: EmbedHost & { dataLayer: unknown[] } = { localrec: [['init', { model: '/m', dataLayer: true }]], dataLayer: [] };
    const calls: string[] = [];
    const load = vi.fn(async () => fakeClient(calls));
    installEmbed(host, load, { log: { warn: () => {} }, trackDataLayer: (track) => trackDataLayer(host, track) });
    host.dataLayer.push({ event: 'view_item', ecommerce: { items: [{ item_id: 'p9' }] } });
    await flush();
    await flush();
    expect(load).toHaveBeenCalledWith({ model: '/m' }); // the client never sees the embed-only option
    expect(calls).toEqual(['track:[{"item":"p9","type":"view"}]']);

    const quiet: EmbedHost & { dataLayer: unknown[] } = { localrec: [['init', { model: '/m' }]], dataLayer: [] };
    const none: string[] = [];
    installEmbed(quiet, async () => fakeClient(none), { log: { warn: () => {} }, trackDataLayer: (track) => trackDataLayer(quiet, track) });
    quiet.dataLayer.push({ event: 'view_item', ecommerce: { items: [{ item_id: 'p9' }] } });
    await flush();
    expect(none).toEqual([]);
  });

  it('runs pushed functions with the client once it is ready, in order with the commands', async () => {
    const calls: string[] = [];
    const host: EmbedHost = { localrec: [(c: Localrec) => void calls.push(`fn:${typeof c.track}`), ['track', { item: 'a', type: 'view' }]] };
    const api = installEmbed(host, async () => fakeClient(calls), { log: { warn: () => {} }, defaults: { model: '/m' } });
    api.push(() => void calls.push('fn2'));
    await api.ready;
    await flush();
    await flush();
    expect(calls).toEqual(['fn:function', 'track:{"item":"a","type":"view"}', 'fn2']);
  });
});
