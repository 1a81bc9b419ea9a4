import { errors, type Status } from '@nats-io/transport-node';
import type { LogFields, LogLevel } from '../logger.js';
import type { BusStatus } from './bus.js';
import { redactUrl } from './nats-errors.js';

export interface StatusReport {
  level: LogLevel;
  fields: LogFields;
  msg: string;
  /** What `onStatus` listeners hear; undefined for chatter (pings, cluster updates). */
  status: BusStatus | undefined;
}

/**
 * The server refused a publish or a subscription (the credential does not allow it): a warn
 * naming the operation, subject and queue. Never fatal: the connection stays open and only
 * that message or subscription is dropped.
 */
const permissionDenied = (e: InstanceType<typeof errors.PermissionViolationError>): StatusReport => {
  const fields = {
    event: 'bus.permission_denied',
    operation: e.operation,
    subject: e.subject,
    ...(e.queue === undefined ? {} : { queue: e.queue }),
    reason: e.message,
  };
  const what = `${e.operation} on ${e.subject}${e.queue === undefined ? '' : ` (queue ${e.queue})`}`;
  return {
    level: 'warn',
    fields,
    msg: `NATS refused ${what}: not allowed for this credential`,
    status: { type: 'error', message: e.message },
  };
};

/** How a NATS client status is logged and reported. `close` is reported from `nc.closed()`. */
export const describeNatsStatus = (s: Status): StatusReport => {
  switch (s.type) {
    case 'disconnect': {
      const server = redactUrl(s.server);
      const status: BusStatus = { type: 'disconnected', server };
      return {
        level: 'warn',
        fields: { event: 'bus.disconnected', server },
        msg: 'NATS disconnected',
        status,
      };
    }
    case 'reconnecting':
      return {
        level: 'debug',
        fields: { event: 'bus.reconnecting' },
        msg: 'reconnecting',
        status: { type: 'reconnecting' },
      };
    case 'reconnect': {
      const server = redactUrl(s.server);
      const status: BusStatus = { type: 'reconnected', server };
      return { level: 'info', fields: { event: 'bus.reconnected', server }, msg: 'NATS reconnected', status };
    }
    case 'error': {
      const message = s.error.message;
      if (s.error instanceof errors.PermissionViolationError) return permissionDenied(s.error);
      const status: BusStatus = { type: 'error', message };
      return {
        level: 'error',
        fields: { event: 'bus.error', error: message },
        msg: `NATS error: ${message}`,
        status,
      };
    }
    case 'slowConsumer': {
      const subject = s.sub.getSubject();
      const status: BusStatus = { type: 'slow_consumer', subject, pending: s.pending };
      const fields = { event: 'bus.slow_consumer', subject, pending: s.pending };
      return { level: 'warn', fields, msg: `slow consumer on ${subject}`, status };
    }
    case 'staleConnection':
      return {
        level: 'warn',
        fields: { event: 'bus.stale_connection' },
        msg: 'NATS connection stale',
        status: { type: 'stale_connection' },
      };
    default:
      return {
        level: 'debug',
        fields: { event: 'bus.status', status: s.type },
        msg: s.type,
        status: undefined,
      };
  }
};
