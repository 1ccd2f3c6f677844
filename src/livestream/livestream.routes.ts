import type { FastifyInstance } from 'fastify';
import type { StoredEvent } from '../analytics/event-store.ts';
import { stringifyLossless } from '../kernel/lossless-json.ts';
import { EventTypeUnknown } from './livestream-errors.ts';
import { workspaceIdParam } from '../server/path-params.ts';
import { ENVIRONMENTS, EVENT_TYPES } from '../model/event-types.ts';
import type { BlockedMessage, LiveSubscriptions } from '../pipeline/live-stream.ts';

export interface LiveStreamRoutesDeps {
  /** Where watchers subscribe (the processor thread's hub, through the app's side of it). */
  live: LiveSubscriptions;
  /**
   * The workspace a Bearer token may watch: the requested one, or the caller's default. Throws
   * 401 without a valid token, 403 without the live stream permission or outside its scope.
   */
  watchable: (authorization: string | undefined, requested: number | undefined) => number;
  heartbeatMs?: number;
}

interface LiveStreamQuery {
  workspace_id?: number;
  input_id?: number;
  environment?: string;
  event_type?: string;
}

/** How the live stream shows one event: mParticle's field names, Quanta's provenance. */
export function liveStreamView(e: StoredEvent): Record<string, unknown> {
  return {
    event_id: e.eventId.toString(),
    mpid: e.mpid,
    input_id: e.inputId,
    environment: e.environment,
    event_type: e.eventType,
    event_name: e.eventName,
    timestamp_unixtime_ms: e.timestampMs,
    received_unixtime_ms: e.receivedAtMs,
    platform: e.platform,
    data: e.data,
    user_identities: e.userIdentities,
    user_attributes: e.userAttributes,
    device_info: e.deviceInfo,
    ...(e.violations ? { violations: e.violations } : {}),
  };
}

/** How the live stream shows blocked data: the batch as received with its block metadata. */
export function blockedView({ record, quarantined }: BlockedMessage): Record<string, unknown> {
  return {
    mpid: record.mpid,
    input_id: record.inputId,
    environment: record.batch.environment,
    received_unixtime_ms: record.receivedAtMs,
    batch: quarantined,
  };
}

/**
 * Live Stream over Server-Sent Events: every processed event as it passes, filtered by input,
 * environment and event types (comma-separated).
 */
export async function liveStreamRoutes(app: FastifyInstance, deps: LiveStreamRoutesDeps): Promise<void> {
  app.get<{ Querystring: LiveStreamQuery }>(
    '/livestream',
    {
      schema: {
        summary: 'Stream processed events (Server-Sent Events)',
        tags: ['Live Stream'],
        security: [{ oauth: ['platform:read_only'] }],
        description: 'Permission: API clients: the platform API at read_only or admin; users: a role with live_stream:view.',
        querystring: {
          type: 'object',
          properties: {
            workspace_id: { ...workspaceIdParam, description: 'Defaults to the bootstrap workspace.' },
            input_id: { type: 'integer', minimum: 1 },
            environment: { type: 'string', enum: [...ENVIRONMENTS] },
            event_type: { type: 'string', description: `Comma-separated event types: ${EVENT_TYPES.join(', ')}` },
          },
        },
        response: {
          200: {
            description: 'text/event-stream of `event` messages (processed events, with their data plan `violations`) and `blocked` messages (batches a data plan blocked data from, with `context.data_plan.block_metadata`)',
            type: 'string',
          },
        },
      },
    },
    async (request, reply) => {
      const { workspace_id, input_id, environment, event_type } = request.query;
      const workspaceId = deps.watchable(request.headers.authorization, workspace_id);
      const types = event_type?.split(',').map((t) => t.trim()).filter(Boolean);
      const unknown = types?.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t)) ?? [];
      if (unknown.length > 0) throw new EventTypeUnknown(unknown);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(': connected to the Quanta live stream\n\n');
      const unsubscribe = deps.live.subscribe(
        {
          workspaceId,
          ...(input_id !== undefined ? { inputId: input_id } : {}),
          ...(environment !== undefined ? { environment } : {}),
          ...(types && types.length > 0 ? { eventTypes: new Set(types) } : {}),
        },
        (message) => {
          if (message.kind === 'event') {
            const { event } = message;
            res.write(`id: ${event.eventId}\nevent: event\ndata: ${stringifyLossless(liveStreamView(event))}\n\n`);
          } else {
            res.write(`event: blocked\ndata: ${stringifyLossless(blockedView(message.blocked))}\n\n`);
          }
        },
      );
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), deps.heartbeatMs ?? 15_000);
      request.raw.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
      });
    },
  );
}
