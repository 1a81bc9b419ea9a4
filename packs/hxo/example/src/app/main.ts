import { loadConfig } from '../core/config.js';
import { jsonLogger } from '../core/log.js';
import { noteService } from '../notes/service.js';
import { startServer } from '../server/http.js';

/** The notes service: config from the environment, JSON logs on stdout. */
export const main = (env: Record<string, string | undefined>) => {
  const config = loadConfig(env);
  const log = jsonLogger(
    (line) => process.stdout.write(`${line}\n`),
    () => new Date(),
  );
  const notes = noteService(log, () => new Date());
  const server = startServer(notes, log, config.port, config.pageSize);
  log.log('info', 'listening', { port: config.port });
  return server;
};
