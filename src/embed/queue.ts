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
  | ['setAvailability', string[], boolean]
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

type Entry = EmbedCommand | EmbedCallback;

function isEntry(c: unknown): c is Entry {
  return typeof c === 'function' || (Array.isArray(c) && typeof c[0] === 'string');
}

export interface InstallOptions {
  defaults?: Partial<EmbedInitOptions>;
  log: Logger;
  onChange?: () => void;
  /** Starts the GA4 dataLayer listener when the options ask for it. */
  trackDataLayer?: (track: (events: TrackEvent[]) => void) => void;
  /** How long a command may hold the ones after it before they run anyway (default CALLBACK_BOUND_MS). */
  boundMs?: number;
}

/**
 * How long one entry (typically a page callback) may hold later commands. A callback that
 * never settles would otherwise stop every later command, a withdrawal of consent included.
 * The SDK's own calls settle within their Worker timeouts, and the Worker runs them in the
 * order they were made, so letting a later command start does not reorder them.
 */
export const CALLBACK_BOUND_MS = 5000;

/** Commands that only ever remove data: they wait for earlier ones to have been made, not to finish. */
function isWithdrawal(c: Entry): boolean {
  return Array.isArray(c) && (c[0] === 'forget' || (c[0] === 'setConsent' && c[1] !== 'granted'));
}

/** What the page queued before the SDK loaded: its valid entries and the options its first 'init' (or the defaults) give. */
function readQueue(queue: unknown, opts: InstallOptions): { entries: Entry[]; init?: Entry; options: EmbedInitOptions } {
  const queued: unknown[] = Array.isArray(queue) ? [...queue] : [];
  const entries = queued.filter(isEntry);
  if (entries.length !== queued.length) opts.log.warn('ignored queued entries that are neither [command, ...args] arrays nor functions');
  const init = entries.find((c): c is ['init', EmbedInitOptions] => Array.isArray(c) && c[0] === 'init');
  return { entries, init, options: { ...opts.defaults, ...init?.[1] } as EmbedInitOptions };
}

/** Loads the client; resolves null (logged) when there is no model or it cannot start, so commands then do nothing. */
function startClient(load: (options: EmbedInitOptions) => Promise<Localrec>, options: EmbedInitOptions, log: Logger): Promise<Localrec | null> {
  if (!options.model) {
    return Promise.resolve().then(() => {
      log.warn('no model: push ["init", { model: "<manifest.json url>" }] or set data-localrec-model on the script tag');
      return null;
    });
  }
  return load(options).catch((e: unknown) => {
    log.warn('could not start:', e);
    return null;
  });
}

/** Runs one command; returns whether it may change what should be recommended. */
async function apply(client: Localrec, cmd: Entry, log: Logger): Promise<boolean> {
  if (typeof cmd === 'function') {
    await cmd(client);
    return false;
  }
  switch (cmd[0]) {
    case 'init':
      return false; // the first init configured the client; later ones cannot change it
    case 'track':
      await client.track(cmd[1]);
      return true;
    case 'personalise':
      await client.personalise(cmd[1]);
      return true;
    case 'forget':
      await client.forget();
      return true;
    case 'setAvailability':
      await client.setAvailability(cmd[1], cmd[2]);
      return true;
    case 'setConsent':
      await client.setConsent(cmd[1]);
      return true;
    default:
      log.warn('unknown command', (cmd as unknown[])[0]);
      return false;
  }
}

/** Runs one entry; `made` is called once its client call has been made (apply's synchronous part), before it settles. */
async function run(ready: Promise<Localrec | null>, cmd: Entry, opts: InstallOptions, made: () => void): Promise<void> {
  const client = await ready;
  if (!client) return made();
  try {
    const applied = apply(client, cmd, opts.log);
    made();
    if (await applied) opts.onChange?.();
  } catch (e) {
    // Tracking before the shopper consented is expected on every page view, not a fault.
    // (A code check, not instanceof: the client is a separately loaded bundle.)
    if ((e as { code?: unknown } | null)?.code !== 'consent-required') opts.log.warn(`${typeof cmd === 'function' ? 'callback' : cmd[0]} failed:`, e);
  }
}

/**
 * Drains the queue once and installs the live API. `defaults` (e.g. from the script tag's
 * data attributes) apply when the page queued no 'init'. `onChange` runs after commands
 * that change what should be recommended.
 */
export function installEmbed(host: EmbedHost, load: (options: EmbedInitOptions) => Promise<Localrec>, opts: InstallOptions): EmbedApi {
  if (isLive(host.localrec)) return host.localrec;
  const { entries, init, options: withDataLayer } = readQueue(host.localrec, opts);
  const { dataLayer, ...options } = withDataLayer;
  const ready = startClient(load, options, opts.log);

  // Commands start strictly in the order they were pushed, queued ones first. Each waits for
  // the one before it to settle, but at most `boundMs`; a withdrawal (forget, consent not
  // granted) only waits for the one before it to have started, so nothing starves it.
  const bound = opts.boundMs ?? CALLBACK_BOUND_MS;
  let started: Promise<void> = Promise.resolve();
  let settled: Promise<void> = Promise.resolve();
  const enqueue = (cmd: Entry) => {
    let made!: () => void;
    const thisStarted = new Promise<void>((r) => (made = r));
    const done = (isWithdrawal(cmd) ? started : settled).then(() => run(ready, cmd, opts, made));
    started = thisStarted;
    // The bound counts from when the entry starts (loading the client can take longer).
    settled = thisStarted.then(
      () =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            opts.log.warn(`${typeof cmd === 'function' ? 'a callback' : cmd[0]} did not finish within ${bound} ms; later commands run without waiting for it`);
            resolve();
          }, bound);
          void done.then(() => {
            clearTimeout(timer);
            resolve();
          });
        }),
    );
  };
  for (const c of entries) if (c !== init) enqueue(c);
  const api: EmbedApi = {
    push: (...cmds) => {
      for (const c of cmds) {
        if (isEntry(c)) enqueue(c);
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
