/**
 * Whether a parsed JSON value is an object (not null, not an array): the first check of every
 * parser of a request body or a stored document.
 *
 * @example
 *   if (!isJsonObject(body)) return problem('The request body must be a JSON object.');
 *   body.name; // unknown, but readable
 */
export const isJsonObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
