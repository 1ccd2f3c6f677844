import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendV1 } from '../accounts/accounts.routes.ts';
import { v1Envelope } from '../platform/v1-envelope.ts';
import { workspaceId, type WorkspaceId } from '../kernel/ids.ts';
import { callerOf, v1CallerOf } from '../server/tenant-scope.ts';
import { AppWorkspaceNotFound } from './app-errors.ts';
import type { AppService } from './app-service.ts';
import {
  accountQuery,
  appBodySchema,
  appListSchema,
  appParams,
  createAppQuery,
  createdAppSchema,
  createdPlatformSchema,
  errors,
  noContent,
  platformBodySchema,
  platformListSchema,
  platformParams,
  platformSettingsBodySchema,
  renameBodySchema,
  serviceBodySchema,
  serviceListSchema,
} from './apps.openapi.ts';
import type { PlatformServices } from './platform-services.ts';

export interface AppRoutesDeps {
  apps: AppService;
  services: PlatformServices;
}

type ById = { Params: { id: number } };
type ByPlatform = { Params: { id: number; os: string } };

const TAG = 'Apps (v1)';
const schema = (summary: string, extra: Record<string, unknown>) => ({ summary, tags: [TAG], querystring: accountQuery, ...extra });

/**
 * mParticle's Platform API v1 apps (`/v1/apps`), app platforms (`/v1/apps/{id}/platforms/{os}`,
 * created by `POST /v1/apps/{id}`) and app platform services, in the v1 envelope: GET answers
 * 200, POST 201, PUT and DELETE 202. Every call names its account (`?accountId=`); an app of
 * another account, or of a workspace the caller may not use, is a 404. Thin routes over
 * {@link AppService} and {@link PlatformServices}; register with `tenantRoutes`.
 */
export async function appRoutes(app: FastifyInstance, deps: AppRoutesDeps): Promise<void> {
  const { apps, services } = deps;
  /** The workspaces of the call's account the caller may use, once `?accountId=` is checked. */
  const reach = (request: FastifyRequest): readonly WorkspaceId[] => v1CallerOf(request).workspaces;

  app.get<ById>('/v1/apps/:id', { schema: schema('An app with its platforms', { params: appParams, response: { 200: appListSchema, ...errors(400, 401, 403, 404) } }) }, async (request, reply) =>
    sendV1(reply, v1Envelope('application', [apps.get(reach(request), request.params.id)])),
  );
  app.get('/v1/apps', { schema: schema("The account's apps with their platforms", { response: { 200: appListSchema, ...errors(400, 401, 403) } }) }, async (request, reply) =>
    sendV1(reply, v1Envelope('application', apps.list(reach(request)))),
  );
  app.put<ById>(
    '/v1/apps/:id',
    { schema: schema('Rename an app (its platforms keep their keys)', { params: appParams, body: renameBodySchema, response: { 202: appListSchema, ...errors(400, 401, 403, 404, 422) } }) },
    async (request, reply) => sendV1(reply, v1Envelope('application', [apps.rename(reach(request), request.params.id, request.body)]), 202),
  );
  app.post<{ Querystring: { accountId?: number; workspaceId?: number } }>(
    '/v1/apps',
    {
      schema: schema("Create an app with its platforms, each an input with its own key and secret (the secrets shown only here)", {
        querystring: createAppQuery,
        body: appBodySchema,
        response: { 201: createdAppSchema, ...errors(400, 401, 403, 404, 422) },
      }),
    },
    async (request, reply) => {
      const workspaces = reach(request);
      const asked = request.query.workspaceId;
      if (asked !== undefined && !workspaces.includes(workspaceId(asked))) throw new AppWorkspaceNotFound(asked, request.query.accountId!);
      const ws = asked === undefined ? callerOf(request).workspaceId : workspaceId(asked);
      return sendV1(reply, v1Envelope('application', [apps.create(ws, request.body)]), 201);
    },
  );
  app.delete<ById>(
    '/v1/apps/:id',
    { schema: schema('Delete an app (refused while it has platforms)', { params: appParams, response: { 202: noContent('The app was deleted'), ...errors(400, 401, 403, 404, 422) } }) },
    async (request, reply) => {
      apps.delete(reach(request), request.params.id);
      return reply.status(202).send();
    },
  );

  app.get<ByPlatform>(
    '/v1/apps/:id/platforms/:os',
    { schema: schema('An app platform (its key; its secret is not shown again)', { params: platformParams, response: { 200: platformListSchema, ...errors(400, 401, 403, 404) } }) },
    async (request, reply) => sendV1(reply, v1Envelope('platform', [apps.platform(reach(request), request.params.id, request.params.os)])),
  );
  app.get<ById>('/v1/apps/:id/platforms', { schema: schema("An app's platforms", { params: appParams, response: { 200: platformListSchema, ...errors(400, 401, 403, 404) } }) }, async (request, reply) =>
    sendV1(reply, v1Envelope('platform', apps.platforms(reach(request), request.params.id))),
  );
  app.put<ByPlatform>(
    '/v1/apps/:id/platforms/:os',
    { schema: schema("Change an app platform's settings (the fields sent)", { params: platformParams, body: platformSettingsBodySchema, response: { 202: platformListSchema, ...errors(400, 401, 403, 404, 422) } }) },
    async (request, reply) => sendV1(reply, v1Envelope('platform', [apps.updatePlatform(reach(request), request.params.id, request.params.os, request.body)]), 202),
  );
  app.post<ById>(
    '/v1/apps/:id',
    { schema: schema('Add a platform to an app: an input with its own key and secret (the secret shown only here)', { params: appParams, body: platformBodySchema, response: { 201: createdPlatformSchema, ...errors(400, 401, 403, 404, 422) } }) },
    async (request, reply) => sendV1(reply, v1Envelope('platform', [apps.createPlatform(reach(request), request.params.id, request.body)]), 201),
  );
  app.delete<ByPlatform>(
    '/v1/apps/:id/platforms/:os',
    { schema: schema('Delete an app platform, its input and its connections (its key is refused from then on)', { params: platformParams, response: { 202: noContent('The platform was deleted'), ...errors(400, 401, 403, 404) } }) },
    async (request, reply) => {
      await apps.deletePlatform(reach(request), request.params.id, request.params.os);
      return reply.status(202).send();
    },
  );

  app.get<ByPlatform>(
    '/v1/apps/:id/platforms/:os/services',
    { schema: schema("The services an app platform sends to: its input's connections, with their outputs' settings", { params: platformParams, response: { 200: serviceListSchema, ...errors(400, 401, 403, 404) } }) },
    async (request, reply) => sendV1(reply, v1Envelope('service', services.list(reach(request), request.params.id, request.params.os))),
  );
  app.put<ByPlatform>(
    '/v1/apps/:id/platforms/:os/services',
    {
      schema: schema("Configure a service for an app platform: the output (by kind and account name) and the platform's connection to it, made when missing", {
        params: platformParams,
        body: serviceBodySchema,
        response: { 202: serviceListSchema, ...errors(400, 401, 403, 404, 422) },
      }),
    },
    async (request, reply) => sendV1(reply, v1Envelope('service', [await services.configure(reach(request), request.params.id, request.params.os, request.body)]), 202),
  );
}
