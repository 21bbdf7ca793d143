/**
 * Client tokens: `v1.<subject>.<expiry>.<signature>`, signed with HMAC-SHA256 under a
 * secret the shop's backend and the aggregation server share. The shop mints one per
 * device with a random subject (never a customer id); the server uses the subject only to
 * keep one update per device per round. Node only.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { LocalrecError } from '../errors';

const SUBJECT = /^[A-Za-z0-9_-]{8,64}$/;

function sign(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}

/** Mints a token for `subject` valid until `expiresAt` (ms since the epoch). */
export function mintToken(secret: string, subject: string, expiresAt: number): string {
  if (!SUBJECT.test(subject)) throw new LocalrecError('invalid-argument', 'token subject must be 8–64 characters of [A-Za-z0-9_-]');
  const body = `v1.${subject}.${Math.floor(expiresAt / 1000)}`;
  return `${body}.${sign(secret, body)}`;
}

/** Returns the token's subject; throws `update-token-invalid` for a bad signature, format or expiry. */
export function verifyToken(secrets: readonly string[], token: string, now: number): string {
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1' || !SUBJECT.test(parts[1]) || !/^\d{1,12}$/.test(parts[2])) {
    throw new LocalrecError('update-token-invalid', 'token is not a client token');
  }
  const body = parts.slice(0, 3).join('.');
  const given = Buffer.from(parts[3], 'base64url');
  // Several secrets allow rotation: tokens under the old one stay valid until they expire.
  const ok = secrets.some((s) => {
    const want = Buffer.from(sign(s, body), 'base64url');
    return want.length === given.length && timingSafeEqual(want, given);
  });
  if (!ok) throw new LocalrecError('update-token-invalid', 'token signature does not verify');
  if (Number(parts[2]) * 1000 < now) throw new LocalrecError('update-token-invalid', 'token has expired', { expired: true });
  return parts[1];
}

/** What checking a client token needs: the accepted secrets (current first) and the clock. */
export interface TokenCheck {
  secrets: readonly string[];
  now: () => number;
}

/** The subject of a request's `Authorization: Bearer` token; throws the update-token-* refusal if missing or invalid. */
export function subjectOf(authorization: string | undefined, auth: TokenCheck): string {
  return verifyToken(auth.secrets, bearer(authorization), auth.now());
}

/** Reads `Authorization: Bearer <token>`; throws `update-token-missing` without one. */
export function bearer(header: string | undefined): string {
  const m = header && /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new LocalrecError('update-token-missing', 'upload needs an Authorization: Bearer <client token> header');
  return m[1];
}
