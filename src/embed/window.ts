/**
 * The script tag's types, for pages written in TypeScript: `import type {} from 'localrec/embed'`
 * (or importing 'localrec/embed' itself, which starts the loader) declares `window.localrec`,
 * the command queue that becomes the live API.
 */
export type { EmbedApi, EmbedCommand, EmbedInitOptions } from './queue';
