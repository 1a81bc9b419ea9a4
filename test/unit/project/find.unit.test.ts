import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectMissing } from '../../../src/client/errors.js';
import { locateProject } from '../../../src/project/find.js';

let root: string;
beforeAll(() => {
  // root/repo/.git, root/repo/app/.lily, root/repo/app/src/deep, root/repo/tools
  root = mkdtempSync(join(tmpdir(), 'lily-find-'));
  mkdirSync(join(root, 'repo', '.git'), { recursive: true });
  mkdirSync(join(root, 'repo', 'app', '.lily'), { recursive: true });
  mkdirSync(join(root, 'repo', 'app', 'src', 'deep'), { recursive: true });
  mkdirSync(join(root, 'repo', 'tools'), { recursive: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('locateProject', () => {
  it('walks up from a subdirectory to the nearest .lily/, like git', () => {
    const at = locateProject({ cwd: join(root, 'repo', 'app', 'src', 'deep') });
    expect(at).toEqual({ dir: join(root, 'repo', 'app'), found: true, explicit: false });
    expect(locateProject({ cwd: join(root, 'repo', 'app') }).dir).toBe(join(root, 'repo', 'app'));
  });

  it('outside any project: not found, with the repository root as the place for one', () => {
    const at = locateProject({ cwd: join(root, 'repo', 'tools') });
    expect(at).toEqual({
      dir: join(root, 'repo', 'tools'),
      found: false,
      explicit: false,
      repositoryRoot: join(root, 'repo'),
    });
    const error = projectMissing(at);
    expect(error.code).toBe('project_not_initialized');
    expect(error.data.hint).toBe(
      `\`lily init --dir ${join(root, 'repo')}\` creates one at the repository root`,
    );
  });

  it('an explicit dir is taken as is (no walk-up), relative to cwd', () => {
    expect(locateProject({ cwd: join(root, 'repo'), explicit: 'app' })).toEqual({
      dir: join(root, 'repo', 'app'),
      found: true,
      explicit: true,
    });
    const inside = locateProject({ cwd: root, explicit: join(root, 'repo', 'app', 'src') });
    expect(inside).toMatchObject({
      found: false,
      explicit: true,
      enclosingProject: join(root, 'repo', 'app'),
    });
    expect(String(projectMissing(inside).data.hint)).toContain(`lily --dir ${join(root, 'repo', 'app')}`);
  });

  it('no project and no repository: the hint asks for the project root, never a nested project', () => {
    const error = projectMissing({ dir: join(root, 'repo', 'tools'), found: false, explicit: false });
    expect(error.message).toBe(
      `no .lily/ directory in ${join(root, 'repo', 'tools')} or any parent directory`,
    );
    expect(error.data.hint).toBe("run `lily init` in the project's root directory, or pass --dir <project>");
  });
});
