/**
 * Test "machines" on one host: network namespaces joined by a bridge, so processes in
 * different namespaces talk only over the network (each namespace has its own loopback, its own
 * addresses and ports). Needs root and iproute2; `netnsAvailable()` says whether this host can
 * make them, so a test can skip with a clear message where it cannot.
 *
 * Addresses are 10.254.<subnet>.0/24 inside namespaces this helper made and removes: the bridge
 * (the host side) is .1, namespace i is .(10 + i). Nothing outside this host is addressed.
 *
 * @example
 * const net = await createNetns(3);
 * spawn(...net.hosts[0].wrap(['node', 'worker.js']));
 * await net.cleanup();
 */
import { spawnSync } from 'node:child_process';

export interface NetnsHost {
  /** Namespace name (`ip netns exec <name>`). */
  readonly name: string;
  /** This namespace's address on the bridge. */
  readonly ip: string;
  /** Prefixes a command line so it runs inside this namespace. */
  wrap(argv: string[]): string[];
}

export interface Netns {
  /** The host side of the bridge (reachable from every namespace). */
  readonly hostIp: string;
  readonly hosts: readonly NetnsHost[];
  /** Cuts a namespace off the bridge (its link down), or joins it again. */
  setLink(index: number, up: boolean): void;
  cleanup(): Promise<void>;
}

const sh = (args: string[]): void => {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim() || r.error?.message}`);
};

/** Why namespaces cannot be made here, or undefined when they can. */
export const netnsUnavailable = (): string | undefined => {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root (CI runs as root)';
  const probe = `lilyprobe${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0) return `ip netns add failed: ${add.stderr.trim() || add.error?.message}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
};

let subnetCounter = 0;

export const createNetns = async (count: number): Promise<Netns> => {
  const id = `${process.pid % 10_000}${subnetCounter}`;
  const subnet = 10 + ((process.pid + subnetCounter++) % 240);
  const bridge = `lbr${id}`;
  const hostIp = `10.254.${subnet}.1`;
  const hosts: NetnsHost[] = [];
  const made: (() => void)[] = [];
  const cleanup = async () => {
    for (const undo of made.reverse()) {
      try {
        undo();
      } catch {
        // best effort: the rest still goes
      }
    }
    made.length = 0;
  };
  try {
    sh(['link', 'add', bridge, 'type', 'bridge']);
    made.push(() => sh(['link', 'del', bridge]));
    sh(['addr', 'add', `${hostIp}/24`, 'dev', bridge]);
    sh(['link', 'set', bridge, 'up']);
    for (let i = 0; i < count; i += 1) {
      const name = `lily${id}n${i}`;
      const outside = `lv${id}o${i}`;
      const inside = `lv${id}i${i}`;
      const ip = `10.254.${subnet}.${10 + i}`;
      sh(['netns', 'add', name]);
      made.push(() => sh(['netns', 'del', name]));
      sh(['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside]);
      made.push(() => spawnSync('ip', ['link', 'del', outside]));
      sh(['link', 'set', inside, 'netns', name]);
      sh(['link', 'set', outside, 'master', bridge]);
      sh(['link', 'set', outside, 'up']);
      sh(['-n', name, 'addr', 'add', `${ip}/24`, 'dev', inside]);
      sh(['-n', name, 'link', 'set', inside, 'up']);
      sh(['-n', name, 'link', 'set', 'lo', 'up']);
      hosts.push({ name, ip, wrap: (argv) => ['ip', 'netns', 'exec', name, ...argv] });
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    hostIp,
    hosts,
    setLink: (index, up) => {
      const host = hosts[index];
      if (!host) throw new Error(`no namespace ${index}`);
      sh(['link', 'set', `lv${id}o${index}`, up ? 'up' : 'down']);
    },
    cleanup,
  };
};
