/** Errors of the Catalog API. */
import { defineError, problemList } from '../kernel/errors.ts';

/** Query parameters the Catalog API cannot use: every problem named. */
export const CatalogQueryInvalid = defineError('QUANTA_CATALOG_QUERY_INVALID', { status: 400, message: problemList });
