/**
 * The Platform API v1's common shapes: every answer's envelope and its timestamps. Each API
 * names its `dataType` as mParticle's page does (`account`, `application`, `platform`...).
 */

/** The envelope of a v1 answer: the entities, their type, no errors (errors are the error body's). */
export const v1Envelope = <T>(dataType: string, data: readonly T[]) => ({ data, dataType, errors: null });

/** A v1 timestamp: ISO 8601 in UTC without the zone, as mParticle's examples show them (`2014-11-14T22:46:38.673`). */
export const v1Time = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '');
