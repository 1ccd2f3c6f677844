import { CLEVERTAP_CONTRACT } from './clevertap-contract.ts';
import type { FeedContract } from './feed-contract.ts';

/**
 * The feed modules Quanta knows: what a partner feed input may be created as
 * (`POST /v1/workspace/{ws}/partnerfeeds` `module_name`), listed by `GET /v1/feedmodules`.
 */
export interface FeedModule {
  readonly name: string;
  readonly description: string;
  /** The identities the partner sends (its page's "Supported Identities"). */
  readonly identities: readonly string[];
  /** Settings a feed of this module takes (none for these two: the partner only needs the key and secret). */
  readonly settings: readonly { readonly name: string; readonly description: string; readonly is_required: boolean }[];
  /** What the partner documents it sends, checked as a data plan on the module's feeds (none for a custom feed). */
  readonly contract?: FeedContract;
}

export const FEED_MODULES: readonly FeedModule[] = [
  {
    name: 'CleverTap',
    description: 'CleverTap exports events and user properties to mParticle (CleverTap: Settings > Partner > mParticle Export, with this feed\'s key and secret).',
    identities: ['customer_id', 'email'],
    settings: [],
    contract: CLEVERTAP_CONTRACT,
  },
  {
    name: 'Custom Feed',
    description: 'Stream data from any source (a CRM, a marketing tool, your own servers) through the Events API with this feed\'s key and secret.',
    identities: [],
    settings: [],
  },
];

/** The platforms a feed may act as, as the Platform API spells them (`Unknown`: unbound). */
export const FEED_OS = ['iOS', 'tvOS', 'Android', 'MobileWeb', 'Roku', 'Alexa', 'SmartTV', 'FireTV', 'Xbox', 'Unknown'] as const;

/** A module by its name, whatever its case (`clevertap`). */
export const feedModuleNamed = (name: string): FeedModule | undefined => FEED_MODULES.find((m) => m.name.toLowerCase() === name.toLowerCase());
