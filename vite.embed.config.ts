/**
 * The script-tag artifact: `vite build -c vite.embed.config.ts` writes dist/embed/
 * localrec-embed.js (the tiny loader a shop pastes), the lazily loaded client chunk, the
 * Worker bundle and the tfjs wasm binaries — everything a CDN folder needs.
 */
import { defineConfig, mergeConfig } from 'vite';
import base from './vite.config.ts';

export default mergeConfig(
  { ...base, build: {} },
  defineConfig({
    publicDir: false,
    // Relative asset URLs, so the folder works under any CDN path.
    base: './',
    build: {
      outDir: 'dist/embed',
      emptyOutDir: true,
      lib: { entry: 'src/embed/embed.ts', formats: ['es'], fileName: () => 'localrec-embed.js' },
    },
  }),
);
