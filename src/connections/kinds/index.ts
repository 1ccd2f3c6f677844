import type { OutputKind } from '../output.ts';
import { amplitude } from './amplitude.ts';
import { braze } from './braze.ts';
import { webhook } from './webhook.ts';

/** Every output kind Quanta delivers to, by name (what `GET /v1/services` lists). */
export const OUTPUT_KINDS: ReadonlyMap<string, OutputKind> = new Map([webhook, amplitude, braze].map((k) => [k.name, k]));
