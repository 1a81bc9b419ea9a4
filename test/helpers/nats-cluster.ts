/**
 * Starts a real nats-server cluster (3 nodes by default) with JetStream for a test file: each
 * node has its own config file, store directory, client port and route port on loopback (or on
 * the address a test gives it, e.g. a node inside a network namespace), and the routes name
 * every other node. Stopped by pid; a node can be killed and restarted to test failover.
 *
 * @example
 * let cluster: NatsClusterHandle;
 * beforeAll(async () => { cluster = await startNatsCluster(); });
 * afterAll(() => cluster.stop());
 * // connect with servers: cluster.urls
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../src/deployment/nats-server/network.js';

export interface NatsClusterNodeOptions {
  /** Address the node listens on for clients and routes; default 127.0.0.1. */
  host?: string;
  /** Wraps the command line, e.g. `(argv) => ['ip', 'netns', 'exec', 'ns1', ...argv]`. */
  wrap?: (argv: string[]) => string[];
}

export interface NatsClusterOptions {
  /** Number of nodes; default 3. */
  size?: number;
  /** Per-node settings (index = node); missing entries use the defaults. */
  nodes?: NatsClusterNodeOptions[];
  /** Config text added to every node (authorization, accounts, ...). */
  extraConfig?: string;
  /** Binary to run; default `$LILY_NATS_SERVER` or `nats-server`. */
  binary?: string;
  /** How long to wait for the cluster to form (JetStream meta leader elected); default 30 s. */
  startTimeoutMs?: number;
}

export interface NatsClusterNode {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly pid: number | undefined;
}

export interface NatsClusterHandle {
  readonly nodes: readonly NatsClusterNode[];
  /** Every node's client URL: pass as `servers` so clients fail over. */
  readonly urls: string[];
  /** Kills one node (SIGKILL by default), keeping its store for `startNode`. */
  killNode(index: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed node again with the same ports and store. */
  startNode(index: number): Promise<void>;
  stop(): Promise<void>;
  logs(index: number): string;
}

const LOG_TAIL = 8_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const acceptsConnections = (
  host: string,
  port: number,
  wrap?: NatsClusterNodeOptions['wrap'],
): Promise<boolean> => {
  if (wrap) return commandAccepts(wrap, host, port);
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (chunk) => done(chunk.toString('utf8').startsWith('INFO')));
  });
};

/** For a node in another network namespace: probe from inside it with bash's /dev/tcp. */
const commandAccepts = (wrap: NonNullable<NatsClusterNodeOptions['wrap']>, host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const [cmd, ...args] = wrap(['bash', '-c', `exec 3<>/dev/tcp/${host}/${port} && head -c 4 <&3`]);
    const probe = spawn(cmd as string, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    probe.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    const timer = setTimeout(() => probe.kill('SIGKILL'), 2_000);
    probe.on('exit', () => {
      clearTimeout(timer);
      resolve(out.startsWith('INFO'));
    });
  });

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

interface NodeState {
  name: string;
  host: string;
  port: number;
  clusterPort: number;
  config: string;
  wrap?: NatsClusterNodeOptions['wrap'];
  child?: ChildProcess;
  log: string;
}

export const startNatsCluster = async (opts: NatsClusterOptions = {}): Promise<NatsClusterHandle> => {
  const size = opts.size ?? 3;
  const binary = opts.binary ?? process.env.LILY_NATS_SERVER ?? 'nats-server';
  const dir = mkdtempSync(join(tmpdir(), 'lily-nats-cluster-'));
  const clusterName = `lily-test-${process.pid}`;
  const nodes: NodeState[] = [];
  for (let i = 0; i < size; i += 1) {
    const o = opts.nodes?.[i] ?? {};
    nodes.push({
      name: `n${i + 1}`,
      host: o.host ?? '127.0.0.1',
      port: await freeLoopbackPort(),
      clusterPort: await freeLoopbackPort(),
      config: join(dir, `n${i + 1}.conf`),
      ...(o.wrap ? { wrap: o.wrap } : {}),
      log: '',
    });
  }
  for (const node of nodes) {
    const store = join(dir, node.name, 'jetstream');
    mkdirSync(store, { recursive: true });
    const routes = nodes
      .filter((n) => n !== node)
      .map((n) => `    "nats-route://${n.host}:${n.clusterPort}"`)
      .join('\n');
    writeFileSync(
      node.config,
      [
        `server_name: ${node.name}`,
        `listen: "${node.host}:${node.port}"`,
        `jetstream { store_dir: "${store}" }`,
        `cluster {\n  name: ${clusterName}\n  listen: "${node.host}:${node.clusterPort}"\n  routes: [\n${routes}\n  ]\n}`,
        opts.extraConfig ?? '',
      ].join('\n'),
    );
  }

  const onExit = () => {
    for (const n of nodes) if (n.child?.exitCode === null) n.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const launch = async (node: NodeState) => {
    const argv = node.wrap ? node.wrap([binary, '-c', node.config]) : [binary, '-c', node.config];
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    node.child = child;
    const keep = (chunk: Buffer) => {
      node.log = (node.log + chunk.toString('utf8')).slice(-LOG_TAIL);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`nats-server ${node.name} exited:\n${node.log}`);
      if (await acceptsConnections(node.host, node.port, node.wrap)) return;
      await sleep(50);
    }
    throw new Error(`nats-server ${node.name} did not accept connections in time:\n${node.log}`);
  };

  const kill = async (node: NodeState, signal: NodeJS.Signals = 'SIGKILL') => {
    const child = node.child;
    node.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited(child);
  };

  await Promise.all(nodes.map(launch));
  // The cluster is usable once JetStream has a meta leader: every node logs it.
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  while (
    !nodes.some((n) =>
      /JetStream cluster new metadata leader|Self is new JetStream cluster metadata leader/.test(n.log),
    )
  ) {
    if (Date.now() > deadline)
      throw new Error(`no JetStream meta leader:\n${nodes.map((n) => n.log).join('\n')}`);
    await sleep(100);
  }

  const view = (n: NodeState): NatsClusterNode => ({
    name: n.name,
    host: n.host,
    port: n.port,
    url: `nats://${n.host}:${n.port}`,
    get pid() {
      return n.child?.pid;
    },
  });

  return {
    nodes: nodes.map(view),
    urls: nodes.map((n) => `nats://${n.host}:${n.port}`),
    killNode: (index, signal) => kill(nodes[index] as NodeState, signal),
    startNode: (index) => launch(nodes[index] as NodeState),
    async stop() {
      await Promise.all(nodes.map((n) => kill(n, 'SIGTERM')));
      process.removeListener('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
    logs: (index) => nodes[index]?.log ?? '',
  };
};
