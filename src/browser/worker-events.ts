/** Event validation lives in schemas.ts, shared with the page client; this module keeps the Worker-side name. */
export { validateEvents, type ValidEvent } from './schemas';
