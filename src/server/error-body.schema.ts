/** mParticle's error body, `{"errors":[{"code","message"}]}`, for route response schemas. */
export const errorBody = {
  type: 'object',
  properties: {
    errors: {
      type: 'array',
      items: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

/** A route's error responses, for its schema: `errors(400, 404)` is `{ 400: errorBody, 404: errorBody }`. */
export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, errorBody]));

/** A response without a body (a 202 or 204), for a route's schema. */
export const noContent = (description: string) => ({ type: 'null', description });
