import Database from 'better-sqlite3';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { BadRequest, decodeError, defineError, encodeError, NotFound, problem, problemList, QuantaError, registeredErrors, type WireError } from './errors.ts';

const Missing = defineError('QUANTA_TEST_THING_MISSING', {
  status: 404,
  message: (thing: string, ws: number) => `No ${thing} in workspace ${ws}.`,
});
const Invalid = defineError('QUANTA_TEST_THING_INVALID', { status: 400, message: problemList });
const Throttled = defineError('QUANTA_TEST_THING_THROTTLED', {
  status: 429,
  message: (seconds: number) => `Retry after ${seconds} s.`,
  headers: (seconds: number) => ({ 'retry-after': String(seconds) }),
});
const Refused = defineError('QUANTA_TEST_GRANT_REFUSED', { status: 400, bodyCode: 'UNSUPPORTED_GRANT_TYPE', message: () => 'No.' });

/** Through a real MessageChannel, as between the app and the processor thread. */
async function acrossThreads(wire: WireError): Promise<WireError> {
  const { port1, port2 } = new MessageChannel();
  try {
    const received = new Promise<WireError>((resolve) => port2.once('message', resolve));
    port1.postMessage(wire);
    return await received;
  } finally {
    port1.close();
    port2.close();
  }
}

describe('defineError', () => {
  it('makes a class of the status, with the registered code, the body word and the typed message', () => {
    const error = new Missing('plan', 3);
    expect(error).toBeInstanceOf(NotFound);
    expect(error).toBeInstanceOf(QuantaError);
    expect(error).toBeInstanceOf(Missing);
    expect({ code: error.code, status: error.status, bodyCode: error.bodyCode, message: error.message }).toEqual({
      code: 'QUANTA_TEST_THING_MISSING',
      status: 404,
      bodyCode: 'NOT_FOUND',
      message: 'No plan in workspace 3.',
    });
    expect(error.details()).toEqual([{ code: 'NOT_FOUND', message: 'No plan in workspace 3.' }]);
    expect(String(error.stack)).toMatch(/^QUANTA_TEST_THING_MISSING: No plan/);
  });

  it('keeps every problem of an error that has several, each shown with the body word', () => {
    const error = new Invalid([problem('a is missing.'), problem('b is not a number.')]);
    expect(error).toBeInstanceOf(BadRequest);
    expect(error.problems).toEqual(['a is missing.', 'b is not a number.']);
    expect(error.message).toBe('a is missing.; b is not a number.');
    expect(error.details()).toEqual([
      { code: 'BAD_REQUEST', message: 'a is missing.' },
      { code: 'BAD_REQUEST', message: 'b is not a number.' },
    ]);
  });

  it('takes headers from the arguments, and a body word other than the status one', () => {
    expect(new Throttled(7).headers).toEqual({ 'retry-after': '7' });
    expect(new Refused().details()).toEqual([{ code: 'UNSUPPORTED_GRANT_TYPE', message: 'No.' }]);
  });

  it('refuses a code defined twice, or not of the form QUANTA_<AREA>_<WHAT>', () => {
    expect(() => defineError('QUANTA_TEST_THING_MISSING', { status: 404, message: () => 'again' })).toThrow(/defined twice/);
    expect(() => defineError('QUANTA_THING', { status: 400, message: () => 'x' })).toThrow(/QUANTA_<AREA>_<WHAT>/);
  });

  it('lists every registered code', () => {
    expect(registeredErrors()).toEqual(
      expect.arrayContaining([
        { code: 'QUANTA_TEST_THING_MISSING', status: 404, bodyCode: 'NOT_FOUND' },
        { code: 'QUANTA_TEST_GRANT_REFUSED', status: 400, bodyCode: 'UNSUPPORTED_GRANT_TYPE' },
      ]),
    );
  });
});

describe('encodeError and decodeError', () => {
  it('bring a registered error back as its class, with its code, status, message, problems and headers', async () => {
    for (const sent of [new Missing('plan', 3), new Invalid([problem('a'), problem('b')]), new Throttled(2), new Refused()]) {
      const received = decodeError(await acrossThreads(encodeError(sent)));
      expect(received).toBeInstanceOf(sent.constructor);
      expect(received).toBeInstanceOf(QuantaError);
      const coded = received as QuantaError;
      expect({ code: coded.code, status: coded.status, message: coded.message, problems: coded.problems, headers: coded.headers }).toEqual({
        code: sent.code,
        status: sent.status,
        message: sent.message,
        problems: sent.problems,
        headers: sent.headers,
      });
      expect(coded.details()).toEqual(sent.details());
      expect(coded.stack).toBe(sent.stack);
    }
  });

  it('bring any other error back as an Error with its name, message and code (SQLite errors included)', async () => {
    const db = new Database(':memory:');
    let sqliteError: unknown;
    try {
      db.exec('SELECT * FROM no_such_table');
    } catch (error) {
      sqliteError = error;
    } finally {
      db.close();
    }
    const received = decodeError(await acrossThreads(encodeError(sqliteError)));
    expect(received).toBeInstanceOf(Error);
    expect(received).toMatchObject({ name: 'SqliteError', message: 'no such table: no_such_table', code: 'SQLITE_ERROR' });

    const plain = decodeError(await acrossThreads(encodeError(new TypeError('bad'))));
    expect(plain).toMatchObject({ name: 'TypeError', message: 'bad' });
    expect('code' in plain).toBe(false);
    expect(decodeError(encodeError('thrown text')).message).toBe('thrown text');
  });

  it('bring a code this thread never registered back as an Error with that code', () => {
    const received = decodeError({ kind: 'quanta', code: 'QUANTA_ELSEWHERE_DEFINED', problems: ['x'], headers: {} });
    expect(received).not.toBeInstanceOf(QuantaError);
    expect(received).toMatchObject({ message: 'x', code: 'QUANTA_ELSEWHERE_DEFINED' });
  });
});
