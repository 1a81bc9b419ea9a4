import { describe, expect, it } from 'vitest';
import { checkProgram, effectiveSearchPath, resolveProgram } from '../../../src/policy/programs.js';
import { fakeExecutables } from '../../helpers/fake-executables.js';

/**
 * A machine where `echo` and `sh` are the same multi-call binary (busybox), `node` is a real
 * file, the project at /p holds impostors, and a writable bin/ on the step's PATH would win.
 */
const disk = fakeExecutables({
  '/bin/busybox': 'exec',
  '/usr/bin/echo': { link: '/bin/busybox' },
  '/usr/bin/sh': { link: '/bin/busybox' },
  '/usr/bin/node': 'exec',
  '/usr/bin/nodejs': { link: 'node' },
  '/usr/bin/notes.txt': 'file',
  '/usr/local/bin/tool': 'file',
  '/opt/tool/bin/tool': 'exec',
  '/p/x/echo': 'exec',
  '/p/x/sh-named-echo/echo': { link: '/usr/bin/sh' },
  '/p/x/same-echo': { link: '/usr/bin/echo' },
  '/p/x/echo-link/echo': { link: '/usr/bin/echo' },
  '/p/bin/echo': 'exec',
  '/p/tools/build': 'exec',
  '/p/sub/dir': 'dir',
});
const searchPath = ['/usr/local/bin', '/usr/bin', '/opt/tool/bin'];
const where = (cwd = '/p') => ({ searchPath, cwd });
const resolve = (program: string, cwd: string) =>
  resolveProgram(program, { searchPath, cwd: cwd.startsWith('/') ? cwd : `/p/${cwd}` }, disk);

describe('resolveProgram', () => {
  it('looks bare names up on the search path only, first executable wins', () => {
    expect(resolveProgram('echo', where(), disk)).toEqual({
      ok: true,
      resolved: { program: 'echo', name: 'echo', path: '/usr/bin/echo', realPath: '/bin/busybox' },
    });
    // /usr/local/bin/tool is not executable: the search goes on, as a shell's does.
    expect(resolveProgram('tool', where(), disk)).toMatchObject({
      ok: true,
      resolved: { path: '/opt/tool/bin/tool', realPath: '/opt/tool/bin/tool' },
    });
    // The project's bin/ is not on the policy's path, whatever the step's PATH says.
    expect(resolveProgram('build', where(), disk)).toEqual({
      ok: false,
      reason: "build is not on the policy's search path (/usr/local/bin:/usr/bin:/opt/tool/bin)",
    });
  });

  it('resolves names with a slash against the cwd, following symlinks and ..', () => {
    expect(resolveProgram('./x/echo', where(), disk)).toMatchObject({
      ok: true,
      resolved: { name: 'echo', path: '/p/x/echo', realPath: '/p/x/echo' },
    });
    expect(resolveProgram('../tools/build', where('/p/sub'), disk)).toMatchObject({
      ok: true,
      resolved: { realPath: '/p/tools/build' },
    });
    expect(resolveProgram('/usr/bin/nodejs', where(), disk)).toMatchObject({
      ok: true,
      resolved: { name: 'nodejs', realPath: '/usr/bin/node' },
    });
  });

  it('refuses what cannot be started', () => {
    for (const [program, reason] of [
      ['', 'argv[0] is empty'],
      ['no\0de', 'argv[0] contains NUL'],
      ['x/', 'x/ does not name a file'],
      ['..', '.. does not name a file'],
      ['/usr/bin/notes.txt', '/usr/bin/notes.txt is not an executable file'],
      ['./sub/dir', './sub/dir is not an executable file'],
      ['./missing', './missing is not an executable file'],
    ] as const) {
      expect(resolveProgram(program, where(), disk), program).toEqual({ ok: false, reason });
    }
  });

  it('skips relative search path entries', () => {
    expect(resolveProgram('echo', { searchPath: ['bin', '/nowhere'], cwd: '/p' }, disk)).toMatchObject({
      ok: false,
    });
  });
});

describe('checkProgram', () => {
  it('allows what resolves to an allowlisted program: same real file, same name', () => {
    expect(checkProgram(['echo'], 'echo', '.', resolve)).toMatchObject({ ok: true });
    expect(checkProgram(['echo'], '/usr/bin/echo', '.', resolve)).toMatchObject({
      ok: true,
      resolved: { realPath: '/bin/busybox' },
    });
    // A symlink named echo to the very file echo is: it runs echo.
    expect(checkProgram(['echo'], './x/echo-link/echo', '.', resolve)).toMatchObject({ ok: true });
    expect(checkProgram(['/usr/bin/node'], 'node', '.', resolve)).toMatchObject({ ok: true });
    expect(checkProgram(['./tools/build'], '../tools/build', 'sub', resolve)).toMatchObject({ ok: true });
  });

  it('refuses an impostor that only shares the name (attack 7: ./x/echo, /tmp/x/echo)', () => {
    expect(checkProgram(['echo', 'node'], './x/echo', '.', resolve)).toEqual({
      ok: false,
      reason: 'command ./x/echo (/p/x/echo) is not in the command allowlist',
      resolved: { program: './x/echo', name: 'echo', path: '/p/x/echo', realPath: '/p/x/echo' },
    });
    expect(checkProgram(['echo'], '/p/bin/echo', '.', resolve).ok).toBe(false);
  });

  it('refuses another applet of the same multi-call binary, even through a symlink named like it', () => {
    expect(checkProgram(['echo'], 'sh', '.', resolve)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(
        /\(it is the file echo is, started as sh: a multi-call binary acts on that name\)/,
      ),
    });
    // The link is named echo and leads to sh, which is busybox too: started as "echo", busybox
    // runs echo, so this is the program echo is.
    expect(checkProgram(['echo'], './x/sh-named-echo/echo', '.', resolve).ok).toBe(true);
    expect(checkProgram(['echo'], './x/same-echo', '.', resolve).ok).toBe(false);
    expect(checkProgram(['node'], 'nodejs', '.', resolve).ok).toBe(false);
  });

  it('refuses what does not resolve, unless "*" allows anything', () => {
    expect(checkProgram(['echo'], 'build', '.', resolve)).toEqual({
      ok: false,
      reason:
        "command build is not allowed: build is not on the policy's search path (/usr/local/bin:/usr/bin:/opt/tool/bin)",
    });
    expect(checkProgram(['*'], 'build', '.', resolve)).toEqual({ ok: true });
    expect(checkProgram(['*'], './x/echo', '.', resolve)).toMatchObject({
      ok: true,
      resolved: { realPath: '/p/x/echo' },
    });
    expect(checkProgram([], 'echo', '.', resolve).ok).toBe(false);
    // An allowlist entry that does not resolve matches nothing.
    expect(checkProgram(['missing', './nope'], 'echo', '.', resolve).ok).toBe(false);
  });
});

describe('effectiveSearchPath', () => {
  it("is the policy's path (relative entries from the project), else the absolute entries of PATH", () => {
    expect(effectiveSearchPath(['/usr/bin', 'node_modules/.bin'], '/evil', '/p')).toEqual({
      searchPath: ['/usr/bin', '/p/node_modules/.bin'],
      source: 'policy',
    });
    expect(effectiveSearchPath(undefined, '/usr/bin::.:bin:/bin:/usr/bin', '/p')).toEqual({
      searchPath: ['/usr/bin', '/bin'],
      source: 'environment',
    });
    expect(effectiveSearchPath(undefined, undefined, '/p')).toEqual({
      searchPath: [],
      source: 'environment',
    });
    expect(effectiveSearchPath([], '/usr/bin', '/p')).toEqual({ searchPath: [], source: 'policy' });
  });
});
