import { access } from './access/access.module.ts';
import { accounts } from './accounts/accounts.module.ts';
import { analytics } from './analytics/analytics.module.ts';
import { apps } from './apps/apps.module.ts';
import { audiences } from './audiences/audiences.module.ts';
import { calculated } from './calculated/calculated.module.ts';
import { catalog } from './catalog/catalog.module.ts';
import { connections } from './connections/connections.module.ts';
import { erasure } from './erasure/erasure.module.ts';
import { consent } from './consent/consent.module.ts';
import { feeds } from './feeds/feeds.module.ts';
import { identity } from './identity/identity.module.ts';
import { livestream } from './livestream/livestream.module.ts';
import { ingest } from './pipeline/ingest.module.ts';
import { planning } from './planning/planning.module.ts';
import { platform } from './platform/platform.module.ts';
import { privacy } from './privacy/privacy.module.ts';
import { profiles } from './profiles/profiles.module.ts';
import type { Capability } from './runtime/capability.ts';
import { sources } from './sources/sources.module.ts';

/**
 * Quanta's capabilities, one line each. The order matters twice: a capability may use the
 * services of those above it, and the processor runs their stages in this order (data plan,
 * catalog, profile, calculated attributes, audiences, event store, delivery stream, live stream): blocked data
 * never reaches the catalog, audiences decide on the profile and the calculated values the batch
 * made, and the live stream shows what was stored.
 */
export const CAPABILITIES: readonly Capability[] = [
  platform,
  accounts,
  access,
  identity,
  ingest,
  planning,
  consent,
  sources,
  feeds,
  catalog,
  profiles,
  calculated,
  audiences,
  analytics,
  connections,
  apps,
  livestream,
  erasure,
  privacy,
];
