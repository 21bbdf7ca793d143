import { describe, expect, it } from 'vitest';
import { parseRoute } from '../../../demo/router';

describe('parseRoute', () => {
  it('reads product pages at the url items.json carries (#/product/<id>)', () => {
    expect(parseRoute('#/product/p0042')).toEqual({ page: 'product', id: 'p0042' });
  });

  it('decodes category names', () => {
    expect(parseRoute('#/c/Film-Noir')).toEqual({ page: 'category', category: 'Film-Noir' });
    expect(parseRoute(`#/c/${encodeURIComponent('Sci Fi')}`)).toEqual({ page: 'category', category: 'Sci Fi' });
  });

  it('sends an empty, unknown or incomplete hash to the home page', () => {
    for (const hash of ['', '#', '#/', '#/nowhere', '#/product/', '#/c/']) expect(parseRoute(hash)).toEqual({ page: 'home' });
  });

  it('knows the cart and the thank-you page', () => {
    expect(parseRoute('#/cart')).toEqual({ page: 'cart' });
    expect(parseRoute('#/thanks')).toEqual({ page: 'thanks' });
  });
});
