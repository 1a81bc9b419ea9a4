/**
 * Entry point of Lily's background processes (`lily up` starts them):
 *
 *   node dist/deployment/daemon-main.js engine --dir <project> [--nats <url>] [--with-worker] [--ledger lmdb|nats]
 *   node dist/deployment/daemon-main.js worker --dir <project> --id <n> [--nats <url>] [--concurrency <n>] [--ledger lmdb|nats]
 *
 * Logs are JSON lines in `.lily/logs/<role>[-<id>].log`. SIGTERM or SIGINT drains and exits 0;
 * a second signal exits at once with 1.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { errorInfo } from '../actors/error-info.js';
import { createLogger } from '../actors/logger.js';
import { projectPaths } from '../project/paths.js';
import { startEngineProcess } from './engine-process.js';
import { parseLedgerKind } from './shared-state.js';
import { startWorkerProcess } from './worker-process.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: 'string', default: '.' },
    id: { type: 'string', default: '1' },
    nats: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    'with-worker': { type: 'boolean', default: false },
    ledger: { type: 'string' },
  },
});
const role = positionals[0];
if (role !== 'engine' && role !== 'worker') {
  process.stderr.write('usage: daemon-main.js <engine|worker> --dir <project> [--id n] [--nats url]\n');
  process.exit(2);
}
const dir = resolve(values.dir);
const name = role === 'engine' ? 'engine' : `worker-${values.id}`;
const log = createLogger({ name, file: join(projectPaths(dir).logs, `${name}.log`) });
const concurrency = Number(values.concurrency);

const fail = (e: unknown) => {
  log.error({ event: `${role}.crashed`, error: errorInfo(e) }, `${name} crashed`);
  void log.flush().finally(() => process.exit(1));
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

try {
  const nats = {
    ...(values.nats ? { nats: values.nats } : {}),
    ...(values.ledger ? { ledger: parseLedgerKind(values.ledger) } : {}),
  };
  const running =
    role === 'engine'
      ? await startEngineProcess({
          dir,
          log,
          ...nats,
          ...(values['with-worker'] ? { worker: { id: 'engine', concurrency } } : {}),
        })
      : await startWorkerProcess({ dir, id: values.id, log, concurrency, ...nats });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ event: `${role}.stopping`, signal }, `${name} stopping`);
    running
      .stop()
      .then(() => log.flush())
      .then(() => process.exit(0), fail);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (e) {
  fail(e);
}
