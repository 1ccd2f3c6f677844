/**
 * mParticle's reserved user attributes (`$FirstName`, `$Age`, ...): the SDKs write them in
 * PascalCase, the JSON reference's examples in lower case, so they are matched without case.
 */
export const RESERVED_ATTRIBUTES = ['$age', '$gender', '$country', '$zip', '$city', '$state', '$address', '$firstname', '$lastname', '$mobile'] as const;
export type ReservedAttribute = (typeof RESERVED_ATTRIBUTES)[number];

/** The reserved attribute a key names (`$FirstName` → `$firstname`), or undefined for a custom one. */
export function reservedAttributeOf(key: string): ReservedAttribute | undefined {
  if (!key.startsWith('$')) return undefined;
  const lower = key.toLowerCase();
  return (RESERVED_ATTRIBUTES as readonly string[]).includes(lower) ? (lower as ReservedAttribute) : undefined;
}

/** A user attribute's value by reserved name, whatever the case it was sent in. */
export function reservedValue(attributes: Readonly<Record<string, unknown>>, name: ReservedAttribute): unknown {
  for (const [key, value] of Object.entries(attributes)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** A key without its leading dollar signs: partners read `$name` as an operation or refuse it. */
export function withoutDollar(key: string): string {
  return key.replace(/^\$+/, '');
}
