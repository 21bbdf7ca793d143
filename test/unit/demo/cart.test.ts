import { describe, expect, it } from 'vitest';
import { Cart } from '../../../demo/cart';

function memoryStorage(initial: Record<string, string> = {}): Storage {
  const m = new Map(Object.entries(initial));
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

describe('Cart', () => {
  it('counts quantities, removes lines and keeps them across page loads', () => {
    const storage = memoryStorage();
    const cart = new Cart(storage);
    cart.add('p1');
    cart.add('p1');
    cart.add('p2');
    expect(cart.count).toBe(3);
    expect(new Cart(storage).items).toEqual([{ id: 'p1', qty: 2 }, { id: 'p2', qty: 1 }]);
    cart.remove('p1');
    expect(new Cart(storage).items).toEqual([{ id: 'p2', qty: 1 }]);
    cart.clear();
    expect(new Cart(storage).count).toBe(0);
  });

  it('tells listeners about every change', () => {
    const cart = new Cart(memoryStorage());
    let calls = 0;
    cart.onChange(() => calls++);
    cart.add('p1');
    cart.remove('p1');
    cart.clear();
    expect(calls).toBe(3);
  });

  it('starts empty from a stored value it cannot read, and drops lines that are not lines', () => {
    expect(new Cart(memoryStorage({ 'localrec-demo-cart': '{not json' })).items).toEqual([]);
    expect(new Cart(memoryStorage({ 'localrec-demo-cart': '[{"id":"p1","qty":2},{"id":3},null,{"id":"p2","qty":0}]' })).items).toEqual([{ id: 'p1', qty: 2 }]);
  });
});
