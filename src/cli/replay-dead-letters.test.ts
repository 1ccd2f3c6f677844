import { afterAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../test/helpers/receiver.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { loadConfig } from '../config/config.ts';
import { inputId, parseMpid, workspaceId } from '../kernel/ids.ts';
import { stringifyLossless } from '../kernel/lossless-json.ts';
import { openStorage } from '../storage/engines.ts';
import { replayDeadLettersCommand, ReplayDeadLettersError } from './replay-dead-letters.ts';

const ws = workspaceId(1);
let receiver: Receiver;
afterAll(async () => receiver?.close());

describe('quanta replay-dead-letters', () => {
  it('sends a connection\'s dead letters again with their keys; delivered ones go, failed ones stay', async () => {
    receiver = await startReceiver((r) => (r.body.includes('"still-bad"') ? { status: 400 } : { status: 200 }));
    const config = loadConfig({ QUANTA_DATA_DIR: tempDir('dead-letters') });
    const setup = openStorage(config, 'cli');
    const connections = await setup.open('connections');
    const delivery = await setup.open('delivery');
    const output = connections.createOutput(ws, { name: 'hook', kind: 'webhook', settings: { url: `${receiver.url}/hook`, send_as_batch: true, batches_per_request: 1 } }, 1);
    const connection = connections.createConnection(
      ws,
      { inputId: 1, outputId: output.id, environment: 'all', audienceId: null, filter: null, forwardingRules: [], rules: [], samplingPercent: 100, active: true, backfillFromMs: null },
      1,
    );
    const mpid = parseMpid('77')!;
    await delivery.append(
      ['fixed', 'still-bad'].map((name, i) => ({
        workspaceId: ws, inputId: inputId(1), mpid, receivedAtMs: 1000, logPartition: 0, logOffset: i + 1,
        batch: stringifyLossless({ events: [{ event_type: 'custom_event', data: { event_name: name } }], environment: 'production', user_identities: {}, user_attributes: {}, mpid }),
      })),
    );
    await delivery.cursor(connection.id, 0);
    const batches = await delivery.read(ws, 0, 10);
    await delivery.commit(connection.id, {
      workspaceId: ws,
      end: 2,
      counts: { sent: 0, filtered: 0, failed: 2, retried: 0, dead_lettered: 2 },
      lastError: null,
      deadLetters: batches.map((b) => ({ key: `${connection.id}-${b.seq}-${b.seq}`, batches: [b], changes: [], error: 'was down', attempts: 5, createdAtMs: 1 })),
    });
    await setup.close();

    const result = await replayDeadLettersCommand(config, { connection: connection.id, workspace: 1, progress: false }, openStorage(config, 'cli'));
    expect(result).toEqual({ replayed: 2, delivered: 1, failed: 1 });
    expect(receiver.received.map((r) => r.headers['x-quanta-idempotency-key'])).toEqual([`${connection.id}-1-1`, `${connection.id}-2-2`]);
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ events: [{ data: { event_name: 'fixed' } }] });

    const check = openStorage(config, 'cli');
    const left = await (await check.open('delivery')).deadLetters(connection.id, 10);
    expect(left.map((d) => [d.key, d.attempts, d.error])).toEqual([[`${connection.id}-2-2`, 6, expect.stringMatching(/answered 400/)]]);
    await check.close();

    await expect(replayDeadLettersCommand(config, { connection: 999, workspace: 1, progress: false }, openStorage(config, 'cli'))).rejects.toThrow(ReplayDeadLettersError);
  });
});
