import { describe, expect, it } from 'vitest';
import { QuantaError } from '../kernel/errors.ts';
import type { DsrVersion } from './dsr.ts';
import { parseDsrRequest } from './dsr-parser.ts';

const ID = 'a7551968-d5d6-44b2-9831-815ac9017798';
const base = { subject_request_id: ID, subject_request_type: 'erasure', submitted_time: '2021-11-01T15:00:00Z' };

const parse = (version: DsrVersion, body: unknown) => parseDsrRequest(version, typeof body === 'string' ? body : JSON.stringify(body));
/** The code and messages a parse fails with. */
function failure(version: DsrVersion, body: unknown): { code: string; problems: readonly string[] } {
  try {
    parse(version, body);
  } catch (error) {
    if (error instanceof QuantaError) return { code: error.code, problems: error.problems };
    throw error;
  }
  throw new Error('parsed');
}

describe('parseDsrRequest v3', () => {
  const v3 = { ...base, regulation: 'gdpr', api_version: '3.0', subject_identities: { email: { value: 'johndoe@example.com', encoding: 'raw' } } };

  it("reads mParticle's documented request", () => {
    const s = parse('v3', {
      ...v3,
      subject_identities: { email: { value: 'johndoe@example.com', encoding: 'raw' }, ios_advertising_id: { value: 'EA75', encoding: 'raw' } },
      status_callback_urls: ['https://example.com/cb'],
      group_id: 'my-group',
      extensions: { 'opendsr.mparticle.com': { skip_waiting_period: false, subject_identities: { other6: { value: 'o6', encoding: 'raw' } } } },
    });
    expect(s).toMatchObject({
      version: 'v3',
      subjectRequestId: ID,
      requestType: 'erasure',
      regulation: 'gdpr',
      submittedTime: '2021-11-01T15:00:00Z',
      identities: [
        { type: 'email', value: 'johndoe@example.com' },
        { type: 'ios_advertising_id', value: 'EA75' },
        { type: 'other6', value: 'o6' },
      ],
      mpids: [],
      statusCallbackUrls: ['https://example.com/cb'],
      groupId: 'my-group',
      skipWaitingPeriod: false,
    });
  });

  it('takes skip_waiting_period at the top level or in the extension, for erasures', () => {
    expect(parse('v3', { ...v3, skip_waiting_period: true }).skipWaitingPeriod).toBe(true);
    expect(parse('v3', { ...v3, extensions: { 'opendsr.mparticle.com': { skip_waiting_period: true } } }).skipWaitingPeriod).toBe(true);
    expect(parse('v3', { ...v3, subject_request_type: 'access', skip_waiting_period: true }).skipWaitingPeriod).toBe(false);
  });

  it('takes an mpid alone, keeping all its digits', () => {
    const raw = `{"regulation":"ccpa","subject_request_id":"${ID}","subject_request_type":"access","submitted_time":"2021-11-01T15:00:00Z","extensions":{"opendsr.mparticle.com":{"subject_identities":{"mpid":{"value":"-8433569640341386245","encoding":"raw"}}}}}`;
    expect(parse('v3', raw)).toMatchObject({ identities: [], mpids: ['-8433569640341386245'], regulation: 'ccpa' });
  });

  it('refuses an mpid beside another identity, with the documented message', () => {
    expect(failure('v3', { ...v3, extensions: { 'opendsr.mparticle.com': { subject_identities: { mpid: { value: '5', encoding: 'raw' } } } } })).toEqual({
      code: 'QUANTA_DSR_MPID_NOT_ALONE',
      problems: ['If an mpid is provided, it must be the only identity in the request.'],
    });
  });

  it('names every problem of a request it cannot take', () => {
    const f = failure('v3', {
      subject_request_id: 'not-a-uuid',
      subject_request_type: 'delete',
      submitted_time: 'yesterday',
      api_version: '2.0',
      status_callback_urls: ['ftp://x'],
      subject_identities: { email: { value: 'a@b.c', encoding: 'sha256' }, facebook: { value: 'x', encoding: 'raw' }, other2: { value: 'x', encoding: 'raw' } },
    });
    expect(f.code).toBe('QUANTA_DSR_REQUEST_INVALID');
    expect(f.problems).toEqual([
      'subject_request_id is required: a UUID v4 the controller makes for the request.',
      'subject_request_type is required: one of access, portability, erasure.',
      'submitted_time is required: an ISO 8601 date-time, e.g. 2021-11-01T15:00:00Z.',
      'regulation is required: gdpr or ccpa.',
      'api_version must be "3.0" on this endpoint.',
      'status_callback_urls[0] must be an absolute http or https URL.',
      'subject_identities.email.encoding must be "raw": mParticle accepts raw identity values only.',
      expect.stringMatching(/^subject_identities\.facebook: "facebook" is not a supported identity type; use controller_customer_id, email, /),
      'subject_identities.other2: "other2" goes in the opendsr.mparticle.com extension\'s identities, not in subject_identities.',
    ]);
  });

  it('refuses wrong types, a type given twice, no identity, and more than 50', () => {
    expect(failure('v3', { ...v3, subject_identities: ['email'] }).problems).toEqual(['subject_identities must be an object whose keys are identity types and values {value, encoding}.']);
    expect(failure('v3', { ...v3, skip_waiting_period: 'yes', group_id: 7 }).problems).toEqual(['group_id must be a string of at most 255 characters.', 'skip_waiting_period must be true or false.']);
    expect(failure('v3', { ...v3, subject_identities: { email: { value: '', encoding: 'raw' } } }).problems).toEqual(["subject_identities.email's value must be a non-empty string of at most 1024 characters."]);
    expect(
      failure('v3', { ...v3, subject_identities: { email: { value: 'a', encoding: 'raw' } }, extensions: { 'opendsr.mparticle.com': { subject_identities: { email: { value: 'b', encoding: 'raw' } } } } }).problems,
    ).toEqual(['extensions["opendsr.mparticle.com"].subject_identities.email gives identity type email again (already in subject_identities.email); send each type once.']);
    expect(failure('v3', { ...v3, subject_identities: {} }).problems).toEqual(['Send at least one identity, in subject_identities or in the opendsr.mparticle.com extension.']);
    const many = Array.from({ length: 51 }, (_, i) => ({ identity_type: 'email', identity_value: `u${i}@example.com`, identity_format: 'raw' }));
    expect(failure('v2', { ...v3, api_version: '2.0', subject_identities: many }).problems).toEqual(['A request may carry at most 50 identities; this one has 51.']);
  });

  it('refuses a body that is not a JSON object', () => {
    expect(failure('v3', '[1]').problems).toEqual(['The request body must be a JSON object (an OpenDSR request).']);
    expect(failure('v3', '{"a":').code).toBe('QUANTA_DSR_REQUEST_INVALID');
  });
});

describe('parseDsrRequest v2', () => {
  const v2 = { ...base, regulation: 'ccpa', subject_identities: [{ identity_type: 'controller_customer_id', identity_value: 'c-1', identity_format: 'raw' }] };

  it("reads the extension's 64-bit mpids and identities exactly", () => {
    const raw = JSON.stringify({ ...v2, api_version: '2.0', extensions: { 'opendsr.mparticle.com': { identities: [{ identity_type: 'other1', identity_value: 'o' }] } } }).replace(
      '"identities":',
      '"mpids": [ 1234567890, -8433569640341386245 ],"identities":',
    );
    expect(parseDsrRequest('v2', raw)).toMatchObject({
      regulation: 'ccpa',
      identities: [
        { type: 'controller_customer_id', value: 'c-1' },
        { type: 'other', value: 'o' },
      ],
      mpids: ['1234567890', '-8433569640341386245'],
    });
  });

  it('requires regulation and raw identity_format, and takes several values of one type', () => {
    expect(failure('v2', { ...base, subject_identities: v2.subject_identities }).problems).toEqual(['regulation is required: gdpr or ccpa.']);
    expect(failure('v2', { ...v2, subject_identities: [{ identity_type: 'email', identity_value: 'a' }] }).problems).toEqual([
      'subject_identities[0].identity_format must be "raw": mParticle accepts raw identity values only.',
    ]);
    const two = parse('v2', { ...v2, subject_identities: [...v2.subject_identities, { identity_type: 'controller_customer_id', identity_value: 'c-2', identity_format: 'raw' }] });
    expect(two.identities.map((i) => i.value)).toEqual(['c-1', 'c-2']);
    expect(failure('v2', { ...v2, extensions: { 'opendsr.mparticle.com': { mpids: ['x'] } } }).problems).toEqual([
      'extensions["opendsr.mparticle.com"].mpids[0] must be an MPID: a signed 64-bit integer other than 0, as a number or a string of digits.',
    ]);
  });

  it('takes mpids beside identities (only v3 wants an mpid alone)', () => {
    expect(parse('v2', { ...v2, extensions: { 'opendsr.mparticle.com': { mpids: ['42'] } } }).mpids).toEqual(['42']);
  });
});

describe('parseDsrRequest v1', () => {
  it('needs no regulation and keeps none', () => {
    const s = parse('v1', { ...base, api_version: '1.0', subject_identities: [{ identity_type: 'android_id', identity_value: 'u-1', identity_format: 'raw' }] });
    expect(s).toMatchObject({ version: 'v1', regulation: null, identities: [{ type: 'android_id', value: 'u-1' }] });
  });

  it('refuses an array that is not of identities', () => {
    expect(failure('v1', { ...base, subject_identities: { email: 'x' } }).problems).toEqual(['subject_identities must be an array of {identity_type, identity_value, identity_format}.']);
  });
});
