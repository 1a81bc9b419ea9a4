import type { ExecutableProbe } from '../../src/policy/programs.js';

/** One entry of a fake file system: an executable file, a plain file, a directory, or a symlink. */
export type FakeEntry = 'exec' | 'file' | 'dir' | { link: string };

const MAX_LINKS = 40;

const parentOf = (dir: string): string => (dir === '/' ? '/' : dir.slice(0, dir.lastIndexOf('/')) || '/');
const childOf = (dir: string, part: string): string => (dir === '/' ? `/${part}` : `${dir}/${part}`);

/**
 * A file system in a map, for pure tests of program resolution: absolute paths to entries;
 * parent directories are implied. `realpath` follows symlinks (relative targets resolve from
 * the link's directory) component by component, as the kernel does, and handles `.` and `..`.
 */
export const fakeExecutables = (entries: Record<string, FakeEntry>): ExecutableProbe => {
  const exists = (path: string) =>
    path === '/' || entries[path] !== undefined || Object.keys(entries).some((p) => p.startsWith(`${path}/`));
  const realpath = (path: string, links = 0): string | undefined => {
    let current = '/';
    for (const part of path.split('/').filter((p) => p !== '' && p !== '.')) {
      if (part === '..') {
        current = parentOf(current);
        continue;
      }
      const next = childOf(current, part);
      const entry = entries[next];
      if (typeof entry !== 'object') {
        if (!exists(next)) return undefined;
        current = next;
        continue;
      }
      if (links >= MAX_LINKS) return undefined;
      const target = realpath(
        entry.link.startsWith('/') ? entry.link : `${current}/${entry.link}`,
        links + 1,
      );
      if (target === undefined) return undefined;
      current = target;
    }
    return current;
  };
  return {
    realpath: (path) => realpath(path),
    isExecutableFile: (real) => entries[real] === 'exec',
  };
};
