/** Errors of the Web SDK's legacy (V2) messages. */
import { defineError } from '../../kernel/errors.ts';

export const MessageNotObject = defineError('QUANTA_WEB_MESSAGE_NOT_OBJECT', {
  status: 400,
  message: (index: number) => `Message [${index}] must be a JSON object.`,
});

export const MessageTypeUnknown = defineError('QUANTA_WEB_MESSAGE_TYPE_UNKNOWN', {
  status: 400,
  message: (index: number, dt: unknown) => `Message [${index}] has dt=${String(dt)}, which is not a Web SDK message type.`,
});
