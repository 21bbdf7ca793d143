/** The "Recommended for you" row every page shows. */
import type { ShopContext } from '../context';
import { recommendationStrip } from '../strip';

export function forYouStrip(ctx: ShopContext, n = 6): HTMLElement {
  return recommendationStrip(ctx, {
    key: 'for-you',
    slots: n,
    heading: 'Recommended for you',
    load: (rec) => rec.forYou(n),
    // Said from the list's mode, not only from personal weights: after one view the row is
    // already built from that view ('personal') before any on-device training has run.
    note: (l) =>
      l.personalised
        ? 'Learned in this tab from what you looked at. Nothing you do leaves this browser.'
        : l.mode === 'personal'
          ? `Based on the ${ctx.choice.noun.many} you looked at, on this device; it learns more from each one.`
          : `Popular picks for now. Look at a few ${ctx.choice.noun.many} and this row adapts to you, on this device.`,
  });
}
