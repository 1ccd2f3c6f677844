import type { OutputKind } from '../output.ts';
import type { OutputEngines } from '../output-engines.ts';
import { amplitude } from './amplitude.ts';
import { braze } from './braze.ts';
import { files } from './files.ts';
import { natsKind } from './nats.ts';
import { postgresKind } from './postgres.ts';
import { webhook } from './webhook.ts';

/** The output kinds, by name (what `GET /v1/services` lists). */
export type OutputKinds = ReadonlyMap<string, OutputKind>;

/** Every output kind Quanta delivers to, those outside Quanta's storage on the engines given. */
export function outputKinds(engines: OutputEngines): OutputKinds {
  const kinds = [webhook, amplitude, braze, natsKind(engines.jetStream), files, postgresKind(engines.warehouse)];
  return new Map(kinds.map((k) => [k.name, k]));
}
