/** Errors of ids sent in a request, whichever layer reads them (a route's params, the tenant check). */
import { defineError, problem } from './errors.ts';
import { MAX_ID } from './ids.ts';

export const PathIdInvalid = defineError('QUANTA_HTTP_PATH_ID_INVALID', {
  status: 400,
  message: (invalid: readonly { name: string; value: string }[]) =>
    invalid.map(({ name, value }) => problem(`Path parameter ${name} must be a whole number from 1 to ${MAX_ID}, not "${value}".`)),
});
