import { createHash } from 'node:crypto';
import { DSR_VERSIONS, type DsrRecord, type DsrSubmission, type DsrVersion, type NewCallback, type RequestStatus } from './dsr.ts';
import type { ForwardingStatus } from './subject-data.ts';

/** Where each version's requests live: OpenGDPR's `opengdpr_requests`, OpenDSR's `requests`. */
export const requestsPath = (version: DsrVersion) => (version === 'v1' ? '/opendsr/v1/opengdpr_requests' : `/opendsr/${version}/requests`);

/** Where a request's access or portability results are downloaded, with the credentials that submitted it. */
export const resultsPath = (version: DsrVersion, subjectRequestId: string) => `${requestsPath(version)}/${subjectRequestId}/results`;

/** Where Quanta serves the certificate its signatures verify with (`processor_certificate`). */
export const CERTIFICATE_PATH = '/opendsr/certificate.pem';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A request's status, as `GET /requests/{id}` and every status callback send it. */
export interface StatusBody {
  controller_id: string;
  expected_completion_time: string | null;
  subject_request_id: string;
  group_id: string | null;
  request_status: RequestStatus;
  api_version: string;
  results_url: string | null;
  extensions: readonly ForwardingStatus[] | null;
}

/** What `POST /requests` answers (201). */
export interface SubmitBody {
  expected_completion_time: string | null;
  received_time: string;
  encoded_request: string;
  subject_request_id: string;
  controller_id: string;
}

/** What `DELETE /requests/{id}` answers: the time of the cancellation, no completion time. */
export type CancelBody = Omit<SubmitBody, 'encoded_request'>;

/** The status body of a request; `publicUrl` makes its results URL absolute. */
export function statusBody(r: DsrRecord, publicUrl: string): StatusBody {
  const hasResults = r.status === 'completed' && r.requestType !== 'erasure';
  return {
    controller_id: String(r.workspaceId),
    expected_completion_time: iso(r.expectedCompletionMs),
    subject_request_id: r.subjectRequestId,
    group_id: r.groupId,
    request_status: r.status,
    api_version: DSR_VERSIONS[r.version],
    results_url: hasResults ? `${publicUrl}${resultsPath(r.version, r.subjectRequestId)}` : null,
    extensions: Array.isArray(r.forwarding) ? r.forwarding : null,
  };
}

export function submitBody(r: DsrRecord): SubmitBody {
  return {
    expected_completion_time: iso(r.expectedCompletionMs),
    received_time: new Date(r.receivedAtMs).toISOString(),
    encoded_request: Buffer.from(r.raw, 'utf8').toString('base64'),
    subject_request_id: r.subjectRequestId,
    controller_id: String(r.workspaceId),
  };
}

/** The callbacks announcing a request's status (as it now is) to each of its URLs. */
export function callbacksOf(r: DsrRecord, publicUrl: string): NewCallback[] {
  const body = JSON.stringify(statusBody(r, publicUrl));
  return r.statusCallbackUrls.map((url) => ({ url, version: r.version, body }));
}

/**
 * Type, identities and MPIDs, in an order-free form: two requests with the same fingerprint are
 * the same request ("an in-progress request with the same identities, extensions and type").
 */
export function fingerprintOf(s: Pick<DsrSubmission, 'requestType' | 'identities' | 'mpids'>): string {
  const identities = s.identities.map((i) => `${i.type}\u0000${i.value}`).sort();
  const canonical = JSON.stringify({ type: s.requestType, identities, mpids: [...s.mpids].sort() });
  return createHash('sha256').update(canonical).digest('hex');
}
