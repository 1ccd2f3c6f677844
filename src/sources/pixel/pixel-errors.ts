/** Errors of the pixel service. */
import { defineError, problemList } from '../../kernel/errors.ts';

/** Query parameters a pixel cannot be read from: every problem named. */
export const PixelQueryInvalid = defineError('QUANTA_PIXEL_QUERY_INVALID', { status: 400, message: problemList });
