import { analytics } from './analytics/analytics.module.ts';
import { calculated } from './calculated/calculated.module.ts';
import { catalog } from './catalog/catalog.module.ts';
import { identity } from './identity/identity.module.ts';
import { livestream } from './livestream/livestream.module.ts';
import { ingest } from './pipeline/ingest.module.ts';
import { planning } from './planning/planning.module.ts';
import { platform } from './platform/platform.module.ts';
import { profiles } from './profiles/profiles.module.ts';
import type { Capability } from './runtime/capability.ts';
import { sources } from './sources/sources.module.ts';

/**
 * Quanta's capabilities, one line each. The order matters twice: a capability may use the
 * services of those above it, and the processor runs their stages in this order (data plan,
 * catalog, profile, event store, live stream: blocked data never reaches the catalog, and the
 * live stream shows what was stored).
 */
export const CAPABILITIES: readonly Capability[] = [
  platform,
  identity,
  ingest,
  planning,
  sources,
  catalog,
  profiles,
  calculated,
  analytics,
  livestream,
];
