/**
 * The vocabulary of the Platform API v1 apps and app platforms: the platforms an app platform
 * may be (mParticle's list for `os`), and its SDK settings' values.
 */

export const APP_OS = ['iOS', 'tvOS', 'Android', 'MobileWeb', 'Roku', 'Alexa', 'SmartTV', 'FireTV', 'Xbox'] as const;
export type AppOs = (typeof APP_OS)[number];

export const CRASH_HANDLING = ['AppDefined', 'ForceCatch', 'ForceIgnore'] as const;
export const NETWORK_PERFORMANCE = ['AppDefined', 'ForceTrue', 'ForceFalse'] as const;
export const SOCIAL_MODE = ['AppDefined', 'Facebook', 'Twitter', 'FacebookAndTwitter'] as const;

/** A value of one of these lists by any case (`android`, `ios`: mParticle's examples send them so), in its own spelling. */
export const oneOf = <T extends string>(values: readonly T[], text: unknown): T | undefined =>
  typeof text === 'string' ? values.find((v) => v.toLowerCase() === text.toLowerCase()) : undefined;

/**
 * The platform a batch from an app platform's input is of, as a batch's `device_info.platform`
 * names it (`iOS`, `Android`, `web`...): what the Web SDK sends for a MobileWeb app, the OS name
 * for the others.
 */
export function batchPlatformOf(os: string): string {
  return os === 'MobileWeb' ? 'web' : os;
}
