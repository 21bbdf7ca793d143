import { isLocalrecError } from '../errors';

/**
 * The one line every command prints when it stops on an error: typed errors as
 * "LocalrecError [code]: message" (scripts and tests act on the code), then where to read
 * more. Commander's own argument errors end the same way (showHelpAfterError).
 */
export function failureLine(e: unknown): string {
  return `${isLocalrecError(e) ? e.toString() : e instanceof Error ? e.message : String(e)} (see --help)`;
}
