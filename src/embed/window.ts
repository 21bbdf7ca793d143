/**
 * The script tag's types, for pages written in TypeScript: `import type {} from 'localrec/embed'`
 * (or importing 'localrec/embed' itself, which starts the loader) declares `window.localrec`,
 * the command queue that becomes the live API. Its reference is named `localrec-embed`.
 *
 * @packageDocumentation
 */
export type { EmbedApi, EmbedCallback, EmbedCommand, EmbedInitOptions } from './queue';
// The widget's types (and its tag in HTMLElementTagNameMap), for script-tag pages.
export type { RecommendationsElement, WidgetItem, WidgetRender } from './element';
