/** Errors of the Platform API v1 feed subscriptions and output configurations. */
import { defineError, problemList } from '../kernel/errors.ts';

/** A subscription the API cannot make: each problem named by its field. */
export const FeedSubscriptionInvalid = defineError('QUANTA_FEED_SUBSCRIPTION_INVALID', { status: 422, message: problemList });
