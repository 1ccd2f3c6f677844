/**
 * Branded identifiers, created only by the parsers below, so that `f(workspaceId, mpid)` cannot
 * be called with its arguments swapped.
 */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** An mParticle id: a signed 64-bit integer kept as its exact decimal digits. */
export type Mpid = Brand<string, 'Mpid'>;
export type WorkspaceId = Brand<number, 'WorkspaceId'>;
export type InputId = Brand<number, 'InputId'>;
export type OrgId = Brand<number, 'OrgId'>;
export type AccountId = Brand<number, 'AccountId'>;
export type PlanVersion = Brand<number, 'PlanVersion'>;

/** The largest id: ids are integers that JS numbers must hold exactly. */
export const MAX_ID = Number.MAX_SAFE_INTEGER;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MPID_TEXT = /^-?\d{1,20}$/;

/** Parses an MPID given as a decimal string, a bigint or a safe integer; undefined if invalid. */
export function parseMpid(value: unknown): Mpid | undefined {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && MPID_TEXT.test(value)) n = BigInt(value);
  else return undefined;
  if (n < INT64_MIN || n > INT64_MAX || n === 0n) return undefined;
  return n.toString() as Mpid;
}

export function mpidToBigInt(mpid: Mpid): bigint {
  return BigInt(mpid);
}

export function workspaceId(n: number): WorkspaceId {
  if (!Number.isSafeInteger(n) || n <= 0) throw new TypeError(`invalid workspace id ${n}`);
  return n as WorkspaceId;
}

export function inputId(n: number): InputId {
  if (!Number.isSafeInteger(n) || n <= 0) throw new TypeError(`invalid input id ${n}`);
  return n as InputId;
}

/**
 * A positive id as a path sends it: plain decimal digits, no larger than {@link MAX_ID}. Text
 * that only looks like a number to `Number()` is refused: " 12", "012", "1e1", "0x0c", "12.0".
 */
function parseId(text: string): number | undefined {
  if (!/^[1-9]\d*$/.test(text)) return undefined;
  const n = Number(text);
  return n <= MAX_ID ? n : undefined;
}

export const parseWorkspaceId = (text: string) => parseId(text) as WorkspaceId | undefined;
export const parseOrgId = (text: string) => parseId(text) as OrgId | undefined;
export const parseAccountId = (text: string) => parseId(text) as AccountId | undefined;
export const parsePlanVersion = (text: string) => parseId(text) as PlanVersion | undefined;
