/** The widget's attributes, read into recommend() options (see element.ts for the element). */
import type { RecommendOptions } from '../browser/types';

/** The attributes the element watches: any change draws again. */
export const OBSERVED_ATTRIBUTES = ['n', 'category', 'context', 'exclude', 'price-min', 'price-max', 'heading', 'currency'];

/** Reasons per item in the "why?" line. */
const WHY_REASONS = 2;

const list = (v: string | null) => (v ?? '').split(/[\s,]+/).filter(Boolean);
const num = (v: string | null) => (v === null || v.trim() === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));

/** recommend() options from the element's attributes, each item's "why?" reasons included. */
export function optionsFromAttributes(el: Element): RecommendOptions {
  const opts: RecommendOptions = { n: Math.min(1000, Math.max(1, Math.floor(num(el.getAttribute('n')) ?? 4))), reasons: WHY_REASONS };
  const categories = el.getAttribute('category')?.split(',').map((c) => c.trim()).filter(Boolean);
  if (categories?.length) opts.categories = categories;
  const context = el.getAttribute('context')?.trim();
  if (context) opts.context = context;
  const exclude = list(el.getAttribute('exclude'));
  if (exclude.length) opts.exclude = exclude;
  const min = num(el.getAttribute('price-min'));
  const max = num(el.getAttribute('price-max'));
  if (min !== undefined || max !== undefined) opts.price = { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  return opts;
}
