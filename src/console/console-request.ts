import type { FastifyRequest } from 'fastify';
import type { AdminRole } from '../admin/admin-token.ts';
import { ApiError, invalidRequest } from '../http/api-error.ts';
import type { ConsoleSession } from './console-sessions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in console session, when the request carried a valid session cookie. */
    consoleSession: ConsoleSession | null;
  }
  interface FastifyContextConfig {
    /**
     * Who may open a console route: `signed-out` (sign-in, assets) or the least admin role; console
     * reads default to auditor, console forms (POST) to admin.
     */
    consoleAccess?: 'signed-out' | AdminRole;
  }
}

/** The cookie's `__Host-` prefix makes the browser insist on Secure, Path=/ and no Domain. */
export const SESSION_COOKIE = '__Host-gatehouse_console';

/** A submitted form: each field once (a repeated field is refused, never silently picked). */
export type FormFields = ReadonlyMap<string, string>;

const MAX_FIELDS = 100;

/** Parses an `application/x-www-form-urlencoded` body; repeated or too many fields are a 400. */
export function parseForm(body: string): FormFields {
  const fields = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(body)) {
    if (fields.has(name)) {
      throw new ApiError(
        'validation_failed',
        `The form field "${name.slice(0, 40)}" was sent more than once`,
      );
    }
    // PostgreSQL refuses U+0000 in text; no console field has a use for it.
    if (name.includes('\u0000') || value.includes('\u0000')) {
      throw invalidRequest(
        [
          {
            field: `/${name.replaceAll('\u0000', '').slice(0, 40)}`,
            message: 'must not contain a NUL character',
          },
        ],
        'The form is not valid',
      );
    }
    fields.set(name, value);
    if (fields.size > MAX_FIELDS) throw new ApiError('validation_failed', 'The form has too many fields');
  }
  return fields;
}

/** The form a console POST carried (415 for anything that is not a form). */
export function formOf(request: FastifyRequest): FormFields {
  if (request.body instanceof Map) return request.body as FormFields;
  throw new ApiError(
    'unsupported_media_type',
    'Console actions take an HTML form (application/x-www-form-urlencoded)',
  );
}

/** The session cookie's value, or undefined when there is none or more than one. */
export function sessionCookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  const values = header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${SESSION_COOKIE}=`))
    .map((part) => part.slice(SESSION_COOKIE.length + 1));
  return values.length === 1 ? values[0] : undefined;
}

/**
 * Refuses a console POST another site could have made a browser send: an `Origin` that is not this
 * server's, `Sec-Fetch-Site` other than same-origin, or neither header (every browser the console
 * supports sends at least one on a form post). The per-session CSRF token is checked besides
 * (`console-app.ts`); this also covers the sign-in form, which has no session yet.
 */
export function assertSameOrigin(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site === undefined && request.headers.origin === undefined) {
    throw new ApiError(
      'csrf_refused',
      'This form was sent without Origin; open the console in a browser and try again',
    );
  }
  if (site !== undefined && site !== 'same-origin') {
    throw new ApiError(
      'csrf_refused',
      'This form was sent from another site; open the console and try again',
    );
  }
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const host = request.headers.host;
  if (host === undefined || origin !== `https://${host}`) {
    throw new ApiError(
      'csrf_refused',
      'This form was sent from another origin; open the console and try again',
    );
  }
}

/** A text field of the form: trimmed, empty as undefined. */
export function textField(form: FormFields, name: string): string | undefined {
  const value = form.get(name)?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A list typed one per line or separated by commas or spaces (scopes, IP ranges). */
export function listField(form: FormFields, name: string): string[] {
  return (form.get(name) ?? '').split(/[\s,]+/).filter((item) => item.length > 0);
}

/** The fields every credential's create form has (API keys and OAuth clients), for its validator. */
export function credentialFields(form: FormFields) {
  return {
    integrator_id: textField(form, 'integrator_id') ?? '',
    name: textField(form, 'name') ?? '',
    environment: textField(form, 'environment') ?? '',
    scopes: listField(form, 'scopes'),
    allowed_ips: listField(form, 'allowed_ips'),
  };
}

/** The session cookie as the browser keeps it: never readable by script, never sent cross-site. */
export function sessionCookie(sessionId: string): string {
  return `${SESSION_COOKIE}=${sessionId}; Path=/; Secure; HttpOnly; SameSite=Strict`;
}

/** Tells the browser to forget the session cookie. */
export function expiredCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0`;
}
