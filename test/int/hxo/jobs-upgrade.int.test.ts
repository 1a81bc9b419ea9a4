import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pc from 'picocolors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planJob } from '../../../src/cli/actions/blueprints.js';
import { validateJobs } from '../../../src/cli/actions/jobs.js';
import { upgradeJob } from '../../../src/cli/actions/jobs-upgrade.js';
import type { CliContext } from '../../../src/cli/context.js';
import { LilyClient } from '../../../src/client/index.js';
import { tempProject } from '../../helpers/lily-project.js';
import { HXO_PACK_PATH } from './engine-kit.js';

const OLD = `# The docs index, still on the first kind version.
id: docs-old
title: Index the docs
target: { kind: blueprint, id: hxo.docs-index.v1 }
bindings:
  roots: [docs] # every page
`;

const PINNED = `id: docs-pinned
title: Index the docs (pinned)
target:
  kind: blueprint
  id: hxo.docs-index.v1
  version: 1.0.0
bindings:
  roots: [docs]
`;

const CURRENT = `id: docs-new
title: Index the docs
target: { kind: blueprint, id: hxo.docs-index.v2 }
bindings: { roots: [docs] }
`;

let project: Awaited<ReturnType<typeof tempProject>>;
const colors = pc.createColors(false);
/** What the CLI hands its actions: a client of the project (nothing opened but the job files). */
const ctx = async (): Promise<CliContext> => ({
  json: true,
  debug: false,
  ui: { colors, errColors: colors, out: () => undefined, err: () => undefined },
  client: await LilyClient.open({ dir: project.dir }),
  lily: (args) => `lily ${args}`,
});
const jobFile = (id: string) => join(project.dir, '.lily', 'jobs', `${id}.job.yaml`);

beforeAll(async () => {
  project = await tempProject('lily-hxo-upgrade-');
  const config = join(project.dir, '.lily', 'config.yaml');
  writeFileSync(
    config,
    readFileSync(config, 'utf8').replace('packs: []', `packs:\n  - ${JSON.stringify(HXO_PACK_PATH)}`),
  );
  // validate checks the jobs against the policy too: this one lets the pack's executors run
  // without a timeout cap, so only the deprecation is left to report.
  project.file(
    'policy.yaml',
    'default_principal: operator\nprincipals: { operator: { capabilities: [] } }\nexecutors: ["*"]\ncommands: []\nworkspace: { allow: ["**"], deny: [] }\n',
  );
  project.job('docs-old', OLD);
  project.job('docs-pinned', PINNED);
  project.job('docs-new', CURRENT);
});
afterAll(() => project?.remove());

type Data = Record<string, unknown>;

describe('deprecated job kinds: warnings, and lily jobs upgrade', () => {
  it('validate and plan keep a deprecated kind valid, with a warning', async () => {
    const validated = (await validateJobs(await ctx(), 'docs-old')).data as { ok: boolean; jobs: Data[] };
    expect(validated.ok).toBe(true);
    expect(validated.jobs[0]?.warnings).toEqual([
      expect.stringContaining('job kind docs.index@1 is deprecated (replaced by docs.index@2)'),
    ]);
    expect(String(validated.jobs[0]?.warnings)).toContain('lily jobs upgrade docs-old');
    const plan = (await planJob(await ctx(), 'docs-old')).data as Data;
    expect(plan.warnings).toHaveLength(1);
    const current = (await validateJobs(await ctx(), 'docs-new')).data as { jobs: Data[] };
    expect(current.jobs[0]?.warnings).toEqual([]);
    expect(((await planJob(await ctx(), 'docs-new')).data as Data).warnings).toEqual([]);
  });

  it('without --yes shows the diff and writes nothing', async () => {
    const outcome = await upgradeJob(await ctx(), 'docs-old', {});
    expect(outcome.exitCode ?? 0).toBe(0);
    const data = outcome.data as Data;
    expect(data).toMatchObject({
      changed: true,
      written: false,
      from: { id: 'hxo.docs-index.v1', kind: 'docs.index@1' },
      to: { id: 'hxo.docs-index.v2', version: '2.0.0', kind: 'docs.index@2' },
    });
    const diff = String(data.diff);
    expect(diff).toMatch(/^--- \.lily\/jobs\/docs-old\.job\.yaml \(hxo\.docs-index\.v1\)\n/);
    expect(diff).toContain('-target: { kind: blueprint, id: hxo.docs-index.v1 }');
    expect(diff).toContain('+target: { kind: blueprint, id: hxo.docs-index.v2 }');
    expect(diff).toContain('@@ -1,6 +1,6 @@');
    expect(readFileSync(jobFile('docs-old'), 'utf8')).toBe(OLD);
    expect(
      outcome.human({ colors, errColors: colors, out: () => undefined, err: () => undefined }),
    ).toContain('lily jobs upgrade docs-old --yes');
  });

  it('with --yes rewrites the target only, keeps comments, and the job is then current', async () => {
    const data = (await upgradeJob(await ctx(), 'docs-old', { yes: true })).data as Data;
    expect(data).toMatchObject({ changed: true, written: true });
    expect(readFileSync(jobFile('docs-old'), 'utf8')).toBe(
      OLD.replace('hxo.docs-index.v1', 'hxo.docs-index.v2'),
    );
    const validated = (await validateJobs(await ctx(), 'docs-old')).data as { ok: boolean; jobs: Data[] };
    expect(validated).toMatchObject({
      ok: true,
      jobs: [{ blueprint: 'hxo.docs-index.v2@2.0.0', warnings: [] }],
    });
    expect(((await upgradeJob(await ctx(), 'docs-old', { yes: true })).data as Data).changed).toBe(false);
  });

  it('a pinned blueprint version moves to the new blueprint and its version', async () => {
    const data = (await upgradeJob(await ctx(), 'docs-pinned', { yes: true })).data as Data;
    expect(data).toMatchObject({ changed: true, written: true });
    const text = readFileSync(jobFile('docs-pinned'), 'utf8');
    expect(text).toContain('  id: hxo.docs-index.v2\n  version: 2.0.0\n');
  });
});
