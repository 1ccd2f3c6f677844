import { contractPlan, type FeedContract } from './feed-contract.ts';

const OTHER = { eventType: 'custom_event', customEventType: 'other' } as const;
const ATTRIBUTION = { eventType: 'custom_event', customEventType: 'attribution' } as const;
const NAVIGATION = { eventType: 'custom_event', customEventType: 'navigation' } as const;
const USER_CONTENT = { eventType: 'custom_event', customEventType: 'user_content' } as const;
const LOCATION = { eventType: 'custom_event', customEventType: 'location' } as const;
const UNINSTALL = { eventType: 'uninstall' } as const;

/**
 * What CleverTap's mParticle Export sends to a CleverTap feed, as mParticle's CleverTap feed page
 * documents it: each event with its mParticle event type (custom events of type Other,
 * Attribution, Navigation, User_Content and Location; App Uninstalled as an `uninstall` event),
 * its description and its attributes, named as CleverTap sends them (both `CT Source` and
 * `ct_source` occur); the `ct_*` user attributes; customer id and email as identities.
 *
 * Kept as listed, but: an attribute listed twice for an event (`session_props` of UTM Visited) is
 * listed once, and ` wzrk_id` (Notification Viewed, Push Impressions) is `wzrk_id`, the key the
 * page gives it everywhere else.
 */
export const CLEVERTAP_CONTRACT: FeedContract = {
  planId: 'clevertap_feed',
  planName: 'CleverTap feed',
  description:
    'What CleverTap sends to a CleverTap feed: its events, user attributes and identities. Every CleverTap feed batch that names no data plan is checked against it; it reports violations and never blocks data.',
  events: [
    { ...OTHER, name: 'App Launched', description: 'This event is raised every time a user launches the application.',
      attributes: ['CT Network Carrier', 'CT Source', 'CT Bluetooth Version', 'Keyword', 'CT SDK Version', 'CT Bluetooth Enabled', 'CT OS Version', 'CT Network Type', 'Model', 'CT Longitude', 'CT Latitude', 'CT Connected To WiFi', 'CT Session Id', 'CT App Version'] },
    { ...OTHER, name: 'Notification Sent', description: 'This event is raised when a campaign message is sent to a user.',
      attributes: ['Campaign ID', 'Campaign name'] },
    { ...OTHER, name: 'App Version Changed', description: 'This event is raised when a user upgrades to a new version of the application.',
      attributes: ['CT App Version', 'CT App Version Prev', 'CT Latitude', 'CT Longitude', 'CT Source'] },
    { ...OTHER, name: 'A/B Experiment Stopped', description: 'Event raised when A/B experiment is stopped.',
      attributes: ['ct_source', 'stickiness', 'mutually_exclusive', 'variant', 'variant_id', 'version', 'experiment_id'] },
    { ...OTHER, name: 'A/B Experiment Rolled Out', description: 'Event raised when experiment is sent to user.',
      attributes: ['Variant', 'Variant Id', 'CT Source', 'Version', 'Experiment Id', 'Stickiness', 'Mutually Exclusive'] },
    { ...OTHER, name: 'A/B Experiment Disqualified', description: 'Event raised when a user is disqualified from an experiment.',
      attributes: ['Variant', 'Variant Id', 'CT Source', 'Version', 'Experiment Id', 'Stickiness', 'Mutually Exclusive'] },
    { ...OTHER, name: 'A/B Experiment Rendered', description: 'Event raised when an experiment is rendered to a user.',
      attributes: ['Variant', 'Variant Id', 'CT Source', 'Version', 'Experiment Id', 'Stickiness', 'Mutually Exclusive'] },
    { ...OTHER, name: 'Channel Unsubscribed', description: 'Event raised when user unsubscribes from any groups in email.',
      attributes: ['Variant', 'Resubscribed', 'Group', 'Type', 'Campaign id', 'Subscription Type', 'Identity', 'Reason', 'Campaign type'] },
    { ...OTHER, name: 'State Transitioned', description: 'Event raised for lifecycle optimizer when user transitions from one stage to another.',
      attributes: ['Destination', 'Type', 'Model', 'Source'] },
    { ...OTHER, name: 'Session Concluded', description: 'Event raised when user session is completed',
      attributes: ['Session Length', 'Session Id'] },
    { ...OTHER, name: 'Custom Control Group', description: 'Event raised when campaign is activated with a control group.',
      attributes: ['CT Source', 'wzrk_id', 'wzrk_pivot', 'Campaign id', 'Campaign name', 'Campaign type'] },
    { ...OTHER, name: 'System Control Group', description: 'Event raised when campaign is activated with a control group.',
      attributes: ['CT Source', 'wzrk_id', 'wzrk_pivot', 'Campaign id', 'Campaign name', 'Campaign type'] },
    { ...OTHER, name: 'Custom & Journey Control Group (Journeys)', description: 'Event raised when a Journey Campaign is activated with a control group.',
      attributes: ['Journey id', 'Journey name'] },
    { ...OTHER, name: 'System Control Group (Journeys)', description: 'Event raised when a Journey Campaign is activated with a control group.',
      attributes: ['Journey id', 'Journey name'] },
    { ...ATTRIBUTION, name: 'App Installed', description: 'Event tracked when a user installs the application.',
      attributes: ['ct_app_version', 'CT Source', 'ct_latitude', 'ct_longitude'] },
    { ...ATTRIBUTION, name: 'Notification Viewed', description: 'Event tracked when a user views an email, in-app notification, or a web notification sent via CleverTap.',
      attributes: ['wzrk_acts', 'wzrk_cts', 'wzrk_sound', 'wzrk_c2a', 'wzrk_pid', 'wzrk_acct_id', 'wzrk_pivot', 'wzrk_cid', 'wzrk_dl', 'wzrk_bi', 'wzrk_bc', 'wzrk_rnv', 'wzrk_pn', 'wzrk_id', 'wzrk_ttl', 'wzrk_animated', 'wzrk_bp', 'User Agent', 'browser', 'Campaign type', 'Campaign id', 'Campaign name', 'Client Name', 'CT Source', 'CT Session Id', 'CT Latitude', 'CT Longitude', 'CT App Version'] },
    { ...ATTRIBUTION, name: 'Notification Clicked', description: 'Event tracked when a user clicks on a marketing campaign sent via CleverTap.',
      attributes: ['wzrk_animated', 'wzrk_bc', 'wzrk_bi', 'wzrk_bp', 'wzrk_c2a', 'wzrk_cid', 'wzrk_acct_id', 'wzrk_ck', 'wzrk_cts', 'wzrk_dl', 'wzrk_dt', 'wzrk_pid', 'wzrk_pivot', 'wzrk_pn', 'wzrk_push_amp', 'wzrk_rnv', 'wzrk_sound', 'wzrk_ttl', 'wzrk_ttl_s', 'Install', 'Campaign id', 'Campaign type', 'CT Latitude', 'CT App Version', 'CT Longitude'] },
    { ...ATTRIBUTION, name: 'Push Impressions', description: 'Event tracked when a push notification sent from CleverTap is delivered to a user\'s device.',
      attributes: ['wzrk_acts', 'wzrk_cts', 'wzrk_sound', 'wzrk_c2a', 'wzrk_pid', 'wzrk_acct_id', 'wzrk_pivot', 'wzrk_cid', 'wzrk_dl', 'wzrk_bi', 'wzrk_bc', 'wzrk_rnv', 'wzrk_pn', 'wzrk_id', 'wzrk_ttl', 'wzrk_animated', 'wzrk_bp', 'User Agent', 'browser', 'Campaign type', 'Campaign id', 'Campaign name', 'Client Name', 'CT Source', 'CT Session Id', 'CT Latitude', 'CT Longitude', 'CT App Version'] },
    { ...ATTRIBUTION, name: 'Webhook Delivered', description: 'Event tracked when a webhook campaign is delivered successfully.',
      attributes: ['ContentName', 'CT Source', 'ct_app_version', 'ct_latitude', 'all_identities', 'ct_longitude', 'session_props', 'session_source', 'Campaign Id', 'mp_processing_time_ms', 'ts'] },
    { ...UNINSTALL, name: 'App Uninstalled', description: 'Event recorded when a user uninstalls the application.',
      attributes: ['CT Source', 'clevertapId', 'token', 'source'] },
    { ...NAVIGATION, name: 'UTM Visited', description: 'Event tracked when a user clicks on a link from a marketing campaign with a defined UTM parameter.',
      attributes: ['session_props', 'session_source', 'utm_campaign', 'utm_medium', 'utm_source', 'Campaign id', 'CT Latitude', 'CT Longitude', 'CT App Version'] },
    { ...USER_CONTENT, name: 'Notification Replied', description: 'Event raised when the user replies (raised only for WhatsApp).',
      attributes: ['CT Source', 'wzrk_id', 'Campaign id', 'Campaign type', 'Campaign Name'] },
    { ...USER_CONTENT, name: 'Reply Sent', description: 'Event raised when an agent (CleverTap user) replies to a message from the end user.',
      attributes: ['CT Source', 'Campaign id', 'Campaign type'] },
    { ...LOCATION, name: 'GeoCluster Entered', description: 'Event raised when the user enters a Geo cluster.',
      attributes: ['ct_source', 'network_carrier', 'longitude', 'latitude', 'os_version', 'application_version', 'ct_sdk_version', 'geofence_id', 'cluster_name', 'cluster_id', 'ct_connected_to_wifi'] },
    { ...LOCATION, name: 'GeoCluster Exited', description: 'Event raised when the user exits a Geo cluster.',
      attributes: ['ct_source', 'network_carrier', 'longitude', 'latitude', 'os_version', 'application_version', 'ct_sdk_version', 'geofence_id', 'cluster_name', 'cluster_id', 'ct_connected_to_wifi'] },
  ],
  userAttributes: [
    { name: 'ct_name', description: 'Name of user', type: 'string' },
    { name: 'ct_gender', description: 'Gender', type: 'string' },
    { name: 'ct_dob', description: 'Date of Birth', type: 'string' },
    { name: 'ct_photo', description: 'Photo URL [if provided by user]', type: 'string' },
    { name: 'ct_email_opt_in', description: 'Flag that determines if Email should be sent to user', type: 'boolean' },
    { name: 'ct_push_opt_in', description: 'Flag that determines if Push should be sent to user', type: 'boolean' },
    { name: 'ct_sms_opt_in', description: 'Flag that determines if SMS should be sent to user', type: 'boolean' },
    { name: 'ct_whatsapp_opt_in', description: 'Flag that determines if WhatsApp should be sent to user', type: 'boolean' },
  ],
  identities: ['customer_id', 'email'],
};

/** The contract as the data plan `clevertap_feed`: the body the Data Planning API takes to create it. */
export const CLEVERTAP_PLAN = contractPlan(CLEVERTAP_CONTRACT);
