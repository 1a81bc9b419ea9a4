import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { natsPaths } from './nats-server/managed-nats.js';

/** A process that belongs to a project though no state file may name it any more. */
export interface ProjectProcess {
  pid: number;
  kind: 'nats-server' | 'daemon';
  cmdline: string;
  /** The string of its command line that identifies it (passed to `stopProcess`). */
  marker: string;
}

const cmdlines = (): { pid: number; cmdline: string }[] => {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .flatMap((d) => {
        try {
          const text = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
          return text === '' ? [] : [{ pid: Number(d), cmdline: text }];
        } catch {
          return [];
        }
      });
  } catch {
    // No /proc (macOS): ps.
    try {
      return execFileSync('ps', ['-axo', 'pid=,args='], { encoding: 'utf8' })
        .split('\n')
        .flatMap((line) => {
          const m = /^\s*(\d+)\s+(.*)$/.exec(line);
          return m ? [{ pid: Number(m[1]), cmdline: m[2] as string }] : [];
        });
    } catch {
      return [];
    }
  }
};

/**
 * Every process of the project in `dir` found by its command line, whatever state files say:
 * a nats-server started with the project's config (`-c <dir>/.lily/nats/nats.conf`, even once
 * `.lily/nats/` is deleted) and the engine and worker daemons started for it
 * (`daemon-main.js engine|worker --dir <dir>`). `lily down` stops these too.
 */
export const findProjectProcesses = (dir: string, lilyRoot: string): ProjectProcess[] => {
  const config = natsPaths(lilyRoot).config;
  const daemon = new RegExp(`daemon-main\\.[jt]s (engine|worker) --dir ${escapeRegExp(dir)}( |$)`);
  return cmdlines().flatMap(({ pid, cmdline }): ProjectProcess[] => {
    if (pid === process.pid) return [];
    if (cmdline.includes('nats-server') && cmdline.includes(config)) {
      return [{ pid, kind: 'nats-server' as const, cmdline, marker: config }];
    }
    const m = daemon.exec(cmdline);
    if (m) return [{ pid, kind: 'daemon' as const, cmdline, marker: m[0].trimEnd() }];
    return [];
  });
};

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
