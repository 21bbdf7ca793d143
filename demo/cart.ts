/**
 * The shopping cart: the shop's own state, kept in sessionStorage like a real store's
 * cart cookie would be. The recommender only hears "cart" and "purchase" events.
 */
const KEY = 'localrec-demo-cart';

export interface CartLine {
  id: string;
  qty: number;
}

export class Cart {
  private lines: CartLine[];
  private readonly listeners = new Set<() => void>();

  constructor(private readonly storage: Storage = sessionStorage) {
    try {
      const parsed: unknown = JSON.parse(storage.getItem(KEY) ?? '[]');
      this.lines = Array.isArray(parsed) ? parsed.filter((l): l is CartLine => typeof l?.id === 'string' && Number.isInteger(l?.qty) && l.qty > 0) : [];
    } catch {
      this.lines = [];
    }
  }

  get items(): readonly CartLine[] {
    return this.lines;
  }

  get count(): number {
    return this.lines.reduce((n, l) => n + l.qty, 0);
  }

  add(id: string): void {
    const line = this.lines.find((l) => l.id === id);
    if (line) line.qty++;
    else this.lines.push({ id, qty: 1 });
    this.changed();
  }

  remove(id: string): void {
    this.lines = this.lines.filter((l) => l.id !== id);
    this.changed();
  }

  clear(): void {
    this.lines = [];
    this.changed();
  }

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  private changed(): void {
    this.storage.setItem(KEY, JSON.stringify(this.lines));
    for (const l of this.listeners) l();
  }
}
