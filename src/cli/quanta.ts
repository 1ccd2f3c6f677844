import { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { startQuanta } from '../main.ts';
import { replay } from './replay.ts';

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
      const r = await replay(c, { progress: process.stderr.isTTY === true });
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

await program.parseAsync();
