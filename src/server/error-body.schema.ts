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
