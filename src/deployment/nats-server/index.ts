/** The managed nats-server of a project, and the pid/process-identity helpers its daemons share. */
export * from './daemon.js';
export { findNatsServer, NATS_INSTALL_HINT, type NatsBinary, natsServerVersion } from './find-binary.js';
export * from './managed-nats.js';
export { freeLoopbackPort, natsAcceptsConnections } from './network.js';
