/**
 * The adapters of the Bus port, as a table: every bus contract suite runs against each.
 * `connect()` opens another client of the same "server", so tests can use several.
 */
import type { Bus } from '../../src/actors/bus/bus.js';
import { InMemoryBroker } from '../../src/actors/bus/in-memory-broker.js';
import { createInMemoryBus } from '../../src/actors/bus/in-memory-bus.js';
import { connectNatsBus } from '../../src/actors/bus/nats-bus.js';
import type { Logger } from '../../src/actors/logger.js';
import { type NatsServerHandle, startNatsServer } from '../helpers/nats-server.js';

export interface BusFactory {
  name: string;
  /** Starts the "server" (beforeAll). */
  setup(): Promise<void>;
  /** A new client; the factory closes every client it made in teardown. */
  connect(logger?: Logger): Promise<Bus>;
  /** Closes clients, stops the server (afterAll). */
  teardown(): Promise<void>;
}

const tracking = (open: (logger?: Logger) => Promise<Bus>) => {
  const made: Bus[] = [];
  return {
    connect: async (logger?: Logger) => {
      const bus = await open(logger);
      made.push(bus);
      return bus;
    },
    closeAll: async () => {
      await Promise.all(made.splice(0).map((b) => b.close()));
    },
  };
};

const memoryFactory = (): BusFactory => {
  let broker = new InMemoryBroker();
  const clients = tracking(async (logger) => createInMemoryBus({ broker, ...(logger ? { logger } : {}) }));
  return {
    name: 'memory',
    setup: async () => {
      broker = new InMemoryBroker();
    },
    connect: clients.connect,
    teardown: clients.closeAll,
  };
};

const natsFactory = (): BusFactory => {
  let server: NatsServerHandle | undefined;
  const token = 'contract-secret-token';
  const clients = tracking(async (logger) => {
    if (!server) throw new Error('nats factory used before setup');
    return connectNatsBus({
      servers: server.url,
      token,
      name: 'bus-contract',
      ...(logger ? { logger } : {}),
    });
  });
  return {
    name: 'nats',
    setup: async () => {
      server = await startNatsServer({ token });
    },
    connect: clients.connect,
    teardown: async () => {
      await clients.closeAll();
      await server?.stop();
    },
  };
};

export const busFactories = (): BusFactory[] => [memoryFactory(), natsFactory()];
