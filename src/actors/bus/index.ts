export type * from './bus.js';
export { decodeJson, encodeJson } from './codec.js';
export { DEFAULT_MAX_PAYLOAD, InMemoryBroker } from './in-memory-broker.js';
export { createInMemoryBus, type InMemoryBusOptions } from './in-memory-bus.js';
export { connectNatsBus, type NatsBusOptions } from './nats-bus.js';
export { redactUrl } from './nats-errors.js';
export { isValidPattern, isValidQueueName, isValidSubject, subjectMatches } from './subject-match.js';
