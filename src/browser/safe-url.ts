/**
 * The one safe-URL rule for every URL the SDK hands out (recommend() results, the widget's
 * links and images, its render callback's arguments and `localrec-select` events): http(s),
 * or relative (resolved against an http base, so it stays on the page's own scheme), and
 * for images also inline raster/SVG data: URLs. items.json is shop data fetched over the
 * network; a `javascript:` URL there must never reach a page that navigates on it. The URL
 * parser decides the scheme, so `java\tscript:` or a leading space reads as the browser reads it.
 */
const INLINE_IMAGE = /^data:image\/(png|jpeg|gif|webp|avif|svg\+xml)[;,]/i;

export function safeUrl(url: string | undefined | null, image = false): string | null {
  if (typeof url !== 'string' || url === '') return null;
  if (image && INLINE_IMAGE.test(url)) return url;
  try {
    return /^https?:$/.test(new URL(url, 'http://relative.invalid/').protocol) ? url : null;
  } catch {
    return null;
  }
}
