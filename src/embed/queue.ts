/**
 * The script-tag API, posthog style: before the SDK loads, `window.localrec` is an array
 * the page pushes commands onto; once loaded, the queue is replayed in order and
 * `window.localrec` becomes a live object whose `push` runs commands directly. Nothing
 * here throws into the host page: failures are logged and swallowed. Written as a pure
 * function of the injected window and loader so unit tests can run it against fakes.
 */
import type { Localrec, LocalrecOptions } from '../browser/main-client';
import type { ConsentState, PersonaliseOptions, TrackEvent } from '../browser/types';

export type EmbedInitOptions = Omit<LocalrecOptions, 'createWorker' | 'onEvent'> & {
  /** Track the shop's GA4 ecommerce pushes to `window.dataLayer` (see datalayer.ts); default false. */
  dataLayer?: boolean;
};

/** `localrec.push(fn)`: runs `fn` with the client once it is ready (never, if it cannot start). */
export type EmbedCallback = (client: Localrec) => void | Promise<void>;

export type EmbedCommand =
  | ['init', EmbedInitOptions]
  | ['track', TrackEvent | TrackEvent[]]
  | ['personalise', PersonaliseOptions?]
  | ['forget']
  | ['setConsent', ConsentState];

export interface EmbedApi {
  push(...commands: (EmbedCommand | EmbedCallback)[]): void;
  /** The client once the model is loaded, or null if it could not start (the reason is logged). */
  readonly ready: Promise<Localrec | null>;
  /** Marks the object as the live SDK, so a second copy of the script never replaces it. */
  readonly loaded: true;
}

export interface Logger {
  warn(...args: unknown[]): void;
}

export function createLogger(prefix: string): Logger {
  return { warn: (...args) => console.warn(prefix, ...args) };
}

export interface EmbedHost {
  localrec?: unknown;
}

declare global {
  interface Window {
    /** The snippet's command queue until the embed loads, then the live API. */
    localrec?: (EmbedCommand | EmbedCallback)[] | EmbedApi;
  }
}

function isLive(x: unknown): x is EmbedApi {
  return typeof x === 'object' && x !== null && (x as { loaded?: unknown }).loaded === true;
}

/**
 * Drains the queue once and installs the live API. `defaults` (e.g. from the script tag's
 * data attributes) apply when the page queued no 'init'. `onChange` runs after commands
 * that change what should be recommended.
 */
export function installEmbed(
  host: EmbedHost,
  load: (options: EmbedInitOptions) => Promise<Localrec>,
  opts: {
    defaults?: Partial<EmbedInitOptions>;
    log: Logger;
    onChange?: () => void;
    /** Starts the GA4 dataLayer listener when the options ask for it. */
    trackDataLayer?: (track: (events: TrackEvent[]) => void) => void;
  },
): EmbedApi {
  if (isLive(host.localrec)) return host.localrec;
  const queued: unknown[] = Array.isArray(host.localrec) ? [...host.localrec] : [];
  const entries = queued.filter((c): c is EmbedCommand | EmbedCallback => typeof c === 'function' || (Array.isArray(c) && typeof c[0] === 'string'));
  if (entries.length !== queued.length) opts.log.warn('ignored queued entries that are neither [command, ...args] arrays nor functions');
  const init = entries.find((c): c is ['init', EmbedInitOptions] => Array.isArray(c) && c[0] === 'init');
  const { dataLayer, ...options } = { ...opts.defaults, ...init?.[1] } as EmbedInitOptions;

  const ready: Promise<Localrec | null> = options.model
    ? load(options).catch((e: unknown) => {
        opts.log.warn('could not start:', e);
        return null;
      })
    : Promise.resolve().then(() => {
        opts.log.warn('no model: push ["init", { model: "<manifest.json url>" }] or set data-localrec-model on the script tag');
        return null;
      });

  const run = async (cmd: EmbedCommand | EmbedCallback): Promise<void> => {
    const client = await ready;
    if (!client) return;
    try {
      if (typeof cmd === 'function') return void (await cmd(client));
      switch (cmd[0]) {
        case 'init':
          return; // the first init configured the client; later ones cannot change it
        case 'track':
          await client.track(cmd[1]);
          break;
        case 'personalise':
          await client.personalise(cmd[1]);
          break;
        case 'forget':
          await client.forget();
          break;
        case 'setConsent':
          await client.setConsent(cmd[1]);
          break;
        default:
          opts.log.warn('unknown command', (cmd as unknown[])[0]);
          return;
      }
      opts.onChange?.();
    } catch (e) {
      // Tracking before the shopper consented is expected on every page view, not a fault.
      // (A code check, not instanceof: the client is a separately loaded bundle.)
      if ((e as { code?: unknown } | null)?.code !== 'consent-required') opts.log.warn(`${typeof cmd === 'function' ? 'callback' : cmd[0]} failed:`, e);
    }
  };

  // Commands run strictly in the order they were pushed, queued ones first.
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (cmd: EmbedCommand | EmbedCallback) => {
    chain = chain.then(() => run(cmd));
  };
  for (const c of entries) if (c !== init) enqueue(c);
  const api: EmbedApi = {
    push: (...cmds) => {
      for (const c of cmds) {
        if (typeof c === 'function' || (Array.isArray(c) && typeof c[0] === 'string')) enqueue(c);
        else opts.log.warn('push() expects [command, ...args] arrays or functions');
      }
    },
    ready,
    loaded: true,
  };
  host.localrec = api;
  if (dataLayer) opts.trackDataLayer?.((events) => enqueue(['track', events]));
  return api;
}
