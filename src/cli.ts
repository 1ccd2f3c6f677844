import { Command, InvalidArgumentError } from 'commander';
import { CAPABILITIES } from './capabilities.ts';
import { backfill, BackfillError, type BackfillOptions } from './cli/backfill.ts';
import { erase, EraseError, type EraseOptions } from './cli/erase.ts';
import { describeAll, describeStore, migrate, MigrateError } from './cli/migrate.ts';
import { replay } from './cli/replay.ts';
import { replayDeadLettersCommand, ReplayDeadLettersError } from './cli/replay-dead-letters.ts';
import { ConfigError, loadConfig, type Config } from './config/config.ts';
import { startQuanta } from './main.ts';
import { openStorage } from './storage/engines.ts';
import type { MigrationReport } from './storage/migrations.ts';

// The `quanta` command's composition root: each command is given the capabilities and the
// stores it runs on (the commands themselves live in cli/).

function config(): Readonly<Config> {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`quanta: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

const program = new Command('quanta')
  .description('Quanta, the open-source customer data platform that speaks mParticle. Configure with environment variables (see README).')
  .showHelpAfterError();

program
  .command('start')
  .description('start the server (same as npm start)')
  .action(async () => {
    const quanta = await startQuanta(config());
    const stop = async () => {
      await quanta.close();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop());
    process.on('SIGTERM', () => void stop());
  });

program
  .command('replay')
  .description('rebuild the derived stores (event store, ...) from the event log; stop the server first')
  .action(async () => {
    const c = config();
    try {
      const r = await replay(c, { capabilities: CAPABILITIES, storage: openStorage(c, 'cli'), progress: process.stderr.isTTY === true });
      console.log(`Replayed ${r.batches} batches into ${r.events} stored events in ${r.seconds.toFixed(1)} s (data dir ${c.dataDir}).`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/lock/i.test(message)) {
        console.error(`quanta replay: the data dir ${c.dataDir} is in use. Stop the running Quanta first, then replay.`);
      } else {
        console.error(`quanta replay failed: ${message}`);
      }
      process.exit(1);
    }
  });

program
  .command('migrate')
  .description("bring the data dir's stores to this version's schema (starting Quanta does it too); stop the server first")
  .action(async () => {
    const c = config();
    const reports: MigrationReport[] = [];
    try {
      await migrate(c, openStorage(c, 'cli'), (r) => {
        reports.push(r);
        for (const line of describeStore(r)) console.log(line);
      });
      console.log(describeAll(reports, c.dataDir));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof MigrateError) {
        console.error(`quanta migrate: ${message}`);
      } else if (/lock/i.test(message)) {
        console.error(`quanta migrate: the data dir ${c.dataDir} is in use. Stop the running Quanta first, then migrate.`);
      } else {
        console.error(`quanta migrate failed: ${message}`);
      }
      process.exit(1);
    }
  });

const integer = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1.`);
  return n;
};

program
  .command('backfill')
  .description("re-send a data plan's blocked data through the pipeline of a running Quanta, once the plan allows it")
  .requiredOption('--plan <id>', 'the data plan whose blocked data to backfill')
  .option('--workspace <id>', 'the workspace', integer('--workspace'), 1)
  .option('--target-version <n>', 'validate against this version (default: the latest)', integer('--target-version'))
  .option('--blocked-version <n>', 'only data blocked under this version', integer('--blocked-version'))
  .option('--from <iso>', 'only data received at or after')
  .option('--to <iso>', 'only data received at or before')
  .option('--include-event-attributes', 're-send whole the events whose attributes were blocked (duplicates them downstream)')
  .option('--dry-run', 'count what would happen; send nothing')
  .option('--url <url>', 'the running Quanta (default: http://127.0.0.1:$PORT)')
  .option('--client-id <id>', 'API client (default: QUANTA_CLIENT_ID, else the one the data dir stores)')
  .option('--client-secret <secret>', 'its secret')
  .option('--chunk <n>', 'blocked batches per request (at most 1000)', integer('--chunk'), 100)
  // Commander names each option's value as BackfillOptions does (--target-version → targetVersion).
  .action(async (o: Omit<BackfillOptions, 'progress'>) => {
    const c = config();
    try {
      const t = await backfill(c, { ...o, progress: process.stderr.isTTY === true }, () => openStorage(c, 'cli'));
      const verb = o.dryRun ? 'Would send' : 'Sent';
      console.log(
        `${verb} ${t.sent} of ${t.examined} blocked batches of plan ${o.plan} against version ${t.target_version}` +
          ` (${t.blocked_again} still blocked by it, ${t.nothing_to_send} with nothing to send) in ${t.requests} requests.`,
      );
    } catch (error) {
      if (!(error instanceof BackfillError)) throw error;
      console.error(`quanta backfill: ${error.message}`);
      process.exit(1);
    }
  });

program
  .command('erase')
  .description("erase users everywhere (profiles, identities, events, the log...) through a running Quanta's bulk profile deletion API")
  .requiredOption('--file <path>', 'the ids: one MPID or type:value (email:ada@example.com) per line, or CSV (mpid, or identity_type,value)')
  .option('--url <url>', 'the running Quanta (default: http://127.0.0.1:$PORT)')
  .option('--key <key>', "an input's key, whose workspace is erased from (default: QUANTA_API_KEY)")
  .option('--secret <secret>', 'its secret (default: QUANTA_API_SECRET)')
  .option('--chunk <n>', 'ids per request (at most 1000)', integer('--chunk'), 1000)
  .action(async (o: Omit<EraseOptions, 'progress'>) => {
    try {
      const t = await erase(config(), { ...o, progress: process.stderr.isTTY === true });
      console.log(`Erased ${t.users} users for ${t.items} ids (${t.notFound} matched no user) in ${t.requests} requests.`);
    } catch (error) {
      if (!(error instanceof EraseError)) throw error;
      console.error(`quanta erase: ${error.message}`);
      process.exit(1);
    }
  });

program
  .command('replay-dead-letters')
  .description("send a connection's dead letters again (each once, in order, with their idempotency keys); Quanta may keep running")
  .requiredOption('--connection <id>', 'the connection whose dead letters to send', integer('--connection'))
  .option('--workspace <id>', 'the workspace', integer('--workspace'), 1)
  .option('--ids <ids>', 'only these dead letters, comma-separated (default: all)', (v) => v.split(',').map((id) => integer('--ids')(id.trim())))
  .action(async (o: { connection: number; workspace: number; ids?: number[] }) => {
    const c = config();
    try {
      const r = await replayDeadLettersCommand(c, { ...o, progress: process.stderr.isTTY === true }, openStorage(c, 'cli'));
      console.log(`Replayed ${r.replayed} dead letters of connection ${o.connection}: ${r.delivered} delivered, ${r.failed} failed again (they stay; see GET .../connections/${o.connection}/dead-letters).`);
      if (r.failed > 0) process.exit(1);
    } catch (error) {
      if (!(error instanceof ReplayDeadLettersError)) throw error;
      console.error(`quanta replay-dead-letters: ${error.message}`);
      process.exit(1);
    }
  });

await program.parseAsync();
