import {
  accessSync,
  constants,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, isAbsolute, join, relative } from 'node:path';

/**
 * A cgroup v2 per step, where the kernel and the file system let this process make one: every
 * process a step starts stays in its cgroup whatever it does (a `setsid` daemon leaves the
 * process group, never the cgroup), so stopping the step reaches all of them at once
 * (`cgroup.kill`, Linux 5.14+). Where cgroups are not available (no cgroup2 mount, no write
 * access: an unprivileged user without a delegated subtree, macOS) steps run in their own
 * process group only, and a daemon that calls `setsid` can outlive its step.
 *
 * Layout: `<this process's cgroup>/lily-<pid>/step-<n>`. The step joins its cgroup before its
 * program starts: it is spawned through `bash -c 'echo 0 > <dir>/cgroup.procs; exec -a <argv0>
 * <file> …'` (or `/bin/sh`, which cannot keep argv0), so no child can be forked outside it.
 */
export interface StepCgroup {
  readonly dir: string;
  /**
   * The argv that joins the cgroup, then execs `file` with `args` (same pid), under the name
   * `argv0` where the shell can set it (bash's `exec -a`; a plain POSIX sh cannot, and the
   * program then sees `file` as its name).
   */
  wrap(argv0: string, file: string, args: readonly string[]): string[];
  /** Sends `signal` to every process in the cgroup (SIGTERM before the grace period). */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILLs every process in the cgroup, atomically (`cgroup.kill`). */
  kill(): void;
  /** Kills what is left and removes the cgroup once it is empty (best effort, bounded). */
  release(): Promise<void>;
}

const SH = '/bin/sh';
const BASHES = ['/bin/bash', '/usr/bin/bash'];
// $0: the cgroup directory, $1: argv[0] for the program, then the file and its arguments.
// biome-ignore lint/suspicious/noTemplateCurlyInString: a shell script, not a template.
const JOIN_BASH = 'echo 0 > "$0/cgroup.procs" 2>/dev/null; exec -a "$1" "${@:2}"';
const JOIN_SH = 'echo 0 > "$0/cgroup.procs" 2>/dev/null; shift; exec "$@"';

const executable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The cgroup v2 directory of this process (`0::<path>` in /proc/self/cgroup under the cgroup2 mount). */
const ownCgroupDir = (): string | undefined => {
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('0::'));
  if (line === undefined) return undefined;
  const path = line.slice(3).trim();
  for (const mount of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // id parent major:minor root mount-point options ... - fstype source super-options
    const [left, right] = mount.split(' - ');
    if (!left || !right?.startsWith('cgroup2 ')) continue;
    const fields = left.split(' ');
    const root = fields[3];
    const point = fields[4];
    if (root === undefined || point === undefined) continue;
    const rel = relative(root, path);
    if (rel.startsWith('..') || isAbsolute(rel)) continue;
    return join(point, rel);
  }
  return undefined;
};

let probed: { base: string; shell: string; script: string } | null | undefined;

/** Removes a `lily-<pid>` cgroup and its (empty) step cgroups; false while a process is in one. */
const removeTree = (dir: string): boolean => {
  try {
    for (const child of readdirSync(dir, { withFileTypes: true })) {
      if (child.isDirectory() && child.name.startsWith('step-')) rmdirSync(join(dir, child.name));
    }
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
};

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** `lily-<pid>` cgroups left by processes that died without cleaning up (SIGKILL, a crash). */
const removeStale = (own: string): void => {
  try {
    for (const entry of readdirSync(own)) {
      const pid = /^lily-(\d+)$/.exec(entry)?.[1];
      if (pid !== undefined && Number(pid) !== process.pid && !pidAlive(Number(pid))) {
        removeTree(join(own, entry));
      }
    }
  } catch {
    // Best effort: a directory we cannot read is left alone.
  }
};

/**
 * Whether steps of this process get cgroups: a cgroup2 mount holding this process's cgroup,
 * with `cgroup.kill`, write access to move processes out of it, and `/bin/sh`. Probed once (it
 * creates `lily-<pid>` under this process's cgroup); `LILY_STEP_CGROUPS=0` turns it off.
 */
export const stepCgroupsAvailable = (): boolean => base() !== undefined;

const base = (): string | undefined => {
  if (probed !== undefined) return probed?.base;
  probed = null;
  if (process.platform !== 'linux' || process.env.LILY_STEP_CGROUPS === '0') return undefined;
  try {
    const own = ownCgroupDir();
    if (own === undefined) return undefined;
    accessSync(join(own, 'cgroup.procs'), constants.W_OK);
    accessSync(SH, constants.X_OK);
    removeStale(own);
    const dir = join(own, `lily-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    accessSync(join(dir, 'cgroup.kill'), constants.W_OK);
    const bash = BASHES.find(executable);
    probed = { base: dir, shell: bash ?? SH, script: bash ? JOIN_BASH : JOIN_SH };
    // A step still being reaped keeps its cgroup busy: the next process's probe removes it.
    process.once('exit', () => removeTree(dir));
  } catch {
    probed = null;
  }
  return probed?.base;
};

let counter = 0;

const pidsOf = (dir: string): number[] => {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(Number);
  } catch {
    return [];
  }
};

const populated = (dir: string): boolean => {
  try {
    return /^populated 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
};

/** A new, empty cgroup for one step, or undefined where cgroups are not available. */
export const createStepCgroup = (): StepCgroup | undefined => {
  const parent = base();
  if (parent === undefined || !probed) return undefined;
  const { shell, script } = probed;
  const dir = join(parent, `step-${++counter}`);
  try {
    mkdirSync(dir);
  } catch {
    return undefined;
  }
  const kill = () => {
    try {
      writeFileSync(join(dir, 'cgroup.kill'), '1');
    } catch {
      // Gone already.
    }
  };
  return {
    dir,
    wrap: (argv0, file, args) => [shell, '-c', script, dir, argv0, file, ...args],
    signal: (sig) => {
      for (const pid of pidsOf(dir)) {
        try {
          process.kill(pid, sig);
        } catch {
          // Exited meanwhile.
        }
      }
    },
    kill,
    release: async () => {
      kill();
      for (let i = 0; i < 100 && populated(dir); i++) await new Promise((r) => setTimeout(r, 10));
      try {
        rmdirSync(dir);
      } catch {
        // Still busy after a second (a process stuck in the kernel): left for the OS.
      }
    },
  };
};

/** True when `file` names a program `execvp` would find with `PATH` (what the shell's `exec` does). */
export const findsProgram = (file: string, env: Record<string, string>, cwd: string): boolean => {
  const candidates = file.includes('/')
    ? [isAbsolute(file) ? file : join(cwd, file)]
    : (env.PATH ?? '/usr/local/bin:/usr/bin:/bin')
        .split(delimiter)
        .map((d) => join(d === '' ? cwd : isAbsolute(d) ? d : join(cwd, d), file));
  return candidates.some((p) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
};
