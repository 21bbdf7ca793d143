/**
 * Hash routes of the demo shop (hash routing: the static build needs no server rewrites).
 * Product pages are `#/product/<id>`, the `url` the synthetic shop's items.json carries.
 */
export type Route =
  | { page: 'home' }
  | { page: 'category'; category: string }
  | { page: 'product'; id: string }
  | { page: 'cart' }
  | { page: 'thanks' };

export function parseRoute(hash: string): Route {
  const [, kind, arg] = /^#\/([a-z]*)\/?(.*)$/.exec(hash) ?? [];
  const value = arg ? decodeURIComponent(arg) : '';
  if (kind === 'c' && value) return { page: 'category', category: value };
  if (kind === 'product' && value) return { page: 'product', id: value };
  if (kind === 'cart') return { page: 'cart' };
  if (kind === 'thanks') return { page: 'thanks' };
  return { page: 'home' };
}
