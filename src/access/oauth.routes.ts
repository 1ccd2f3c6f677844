import type { FastifyInstance } from 'fastify';
import { errors } from '../server/error-body.schema.ts';
import type { TokenService } from './tokens.ts';

export interface OAuthRoutesDeps {
  tokens: TokenService;
}

/** mParticle's SSO token endpoint: OAuth 2 client credentials for API clients, and the password grant for Quanta's users. */
export async function oauthRoutes(app: FastifyInstance, deps: OAuthRoutesDeps): Promise<void> {
  app.post(
    '/oauth/token',
    {
      schema: {
        summary: 'Get a Bearer token (client credentials, or a user\'s email and password)',
        tags: ['Auth'],
        body: {
          type: 'object',
          required: ['grant_type'],
          properties: {
            client_id: { type: 'string', description: 'client_credentials' },
            client_secret: { type: 'string', description: 'client_credentials' },
            username: { type: 'string', description: "password: the user's email" },
            password: { type: 'string', description: 'password' },
            audience: { type: 'string', example: 'https://api.mparticle.com' },
            grant_type: { type: 'string', enum: ['client_credentials', 'password'] },
          },
          examples: [{ client_id: 'qc_mF1mE4rYx1nZ0QkA', client_secret: 'Zp1N8h3m4Kc0Xl2o9Vb7RqGxT5eW6yUa', audience: 'https://api.mparticle.com', grant_type: 'client_credentials' }],
        },
        response: {
          200: {
            type: 'object',
            properties: {
              access_token: { type: 'string' },
              expires_in: { type: 'integer' },
              token_type: { type: 'string' },
            },
            examples: [{ access_token: 'YWIxMjdi883GHBBDnjsdKAJQxNjdjYUUJABbg6hdI', expires_in: 28800, token_type: 'Bearer' }],
          },
          ...errors(400, 401),
        },
      },
    },
    async (request) => deps.tokens.issue(request.body),
  );
}
