import type { Quanta } from '../../src/main.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type Json = Record<string, unknown>;

/** A Platform API v1 caller on an in-process Quanta: `call(method, url, body?)`, with the Bearer token (or `auth`, null for none). */
export function v1Caller(q: Quanta, bearer: string) {
  return (method: Method, url: string, payload?: unknown, auth: string | null = bearer) =>
    q.app.inject({
      method,
      url,
      headers: { ...(auth !== null ? { authorization: auth } : {}), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
    });
}

/** The messages of an error body. */
export const messages = (res: { json(): unknown }) => (res.json() as { errors: { message: string }[] }).errors.map((e) => e.message);

/** The `data` of a v1 envelope. */
export const dataOf = (res: { json(): unknown }) => (res.json() as { data: Json[] }).data;

export const basic = (key: string, secret: string) => `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
