import { describe, expect, it } from 'vitest';
import { hostPort, localHostFor, parseListenAddress } from '../../../src/deployment/nats-server/network.js';

const bad = (why: string) => new Error(why);
const parse = (v: string) => parseListenAddress(v, bad);

describe('lily up --listen HOST[:PORT]', () => {
  it('reads host, host:port, :port, [v6]:port and a bare v6 address', () => {
    expect(parse('10.0.0.5')).toEqual({ host: '10.0.0.5', port: 4222 });
    expect(parse('10.0.0.5:4333')).toEqual({ host: '10.0.0.5', port: 4333 });
    expect(parse('nats.internal:14222')).toEqual({ host: 'nats.internal', port: 14222 });
    expect(parse(':4333')).toEqual({ host: '0.0.0.0', port: 4333 });
    expect(parse('0.0.0.0')).toEqual({ host: '0.0.0.0', port: 4222 });
    expect(parse('[fd00::1]:4333')).toEqual({ host: 'fd00::1', port: 4333 });
    expect(parse('fd00::1')).toEqual({ host: 'fd00::1', port: 4222 });
  });

  it('refuses what is not an address', () => {
    for (const v of ['', ' ', 'a b', 'host:', 'host:0', 'host:70000', 'host:x', ':', 'a/b:1', 'h;rm:1']) {
      expect(() => parse(v), v).toThrow();
    }
  });

  it('local clients reach a wildcard listener on loopback; IPv6 goes in brackets', () => {
    expect(localHostFor('0.0.0.0')).toBe('127.0.0.1');
    expect(localHostFor('::')).toBe('127.0.0.1');
    expect(localHostFor('10.0.0.5')).toBe('10.0.0.5');
    expect(hostPort('fd00::1', 4222)).toBe('[fd00::1]:4222');
    expect(hostPort('10.0.0.5', 4222)).toBe('10.0.0.5:4222');
  });
});
