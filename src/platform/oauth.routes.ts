import type { FastifyInstance } from 'fastify';
import type { TokenService } from './oauth.ts';

export interface OAuthRoutesDeps {
  tokens: TokenService;
}

/** mParticle's SSO token endpoint: OAuth 2 client credentials. */
export async function oauthRoutes(app: FastifyInstance, deps: OAuthRoutesDeps): Promise<void> {
  app.post(
    '/oauth/token',
    {
      schema: {
        summary: 'Get a Bearer token (client credentials)',
        tags: ['Auth'],
        body: {
          type: 'object',
          required: ['client_id', 'client_secret', 'grant_type'],
          properties: {
            client_id: { type: 'string' },
            client_secret: { type: 'string' },
            audience: { type: 'string', example: 'https://api.mparticle.com' },
            grant_type: { type: 'string', enum: ['client_credentials'] },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              access_token: { type: 'string' },
              expires_in: { type: 'integer' },
              token_type: { type: 'string' },
            },
          },
        },
      },
    },
    async (request) => deps.tokens.issue(request.body),
  );
}
