import { describe, expect, it } from 'vitest';
import { productImage } from '../../../demo/product-image';

const svg = (url: string) => decodeURIComponent(url.slice(url.indexOf(',') + 1));

describe('productImage', () => {
  const kettle = { id: 'p0100', title: 'Nordwind soft kettle 4', categories: ['kitchen'], brand: 'Nordwind', price: 65.99 };

  it('draws the same picture for the same item, and another colour for another item of the kind', () => {
    expect(productImage(kettle, 'product')).toBe(productImage({ ...kettle }, 'product'));
    expect(productImage(kettle, 'product')).not.toBe(productImage({ ...kettle, id: 'p0101' }, 'product'));
  });

  it('is an SVG data URL, so showing an item requests nothing that names it', () => {
    expect(productImage(kettle, 'product')).toMatch(/^data:image\/svg\+xml;charset=utf-8,/);
    expect(svg(productImage(kettle, 'product'))).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 200 200">.*<\/svg>$/);
  });

  it("draws the product's noun when it knows it, else its category's shape", () => {
    const shape = (item: typeof kettle) => svg(productImage(item, 'product')).replace(/hsl\([^)]*\)/g, '').replace(item.brand.toUpperCase(), '');
    expect(shape({ ...kettle, title: 'Nordwind soft frying pan 4' })).not.toBe(shape(kettle));
    expect(shape({ ...kettle, id: 'p0200', title: 'Kiln bold kettle 9', brand: 'Kiln' })).toBe(shape(kettle));
  });

  it('escapes markup in titles, brands and genres', () => {
    const nasty = { id: 'x', title: '<script>alert(1)</script> & co (1999)', categories: ['<b>'], brand: '"><img src=x>' };
    for (const style of ['product', 'poster'] as const) {
      const text = svg(productImage(nasty, style));
      expect(text).not.toContain('<script');
      expect(text).not.toContain('<img');
      expect(text).not.toContain('<b>');
    }
  });

  it('draws a film poster with the title, its article moved back to the front, and the year', () => {
    const text = svg(productImage({ id: '2571', title: 'Matrix, The (1999)', categories: ['Action', 'Sci-Fi'] }, 'poster'));
    expect(text).toContain('The Matrix');
    expect(text).toContain('ACTION 1999');
  });
});
