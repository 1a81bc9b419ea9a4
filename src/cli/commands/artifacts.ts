import type { Command } from 'commander';
import { lazy } from '../action.js';

/** `lily artifacts list | get | lineage`: the content-addressed store under .lily/artifacts/. */
export const registerArtifacts = (program: Command): Command => {
  const artifacts = program.command('artifacts').description('content-addressed artifacts and their lineage');
  artifacts
    .command('list')
    .description('list artifact records (oldest first)')
    .option('--run <id>', 'only artifacts of this run')
    .action(lazy(async () => (await import('../actions/artifacts.js')).listArtifacts));
  artifacts
    .command('get')
    .description('the raw bytes of an artifact, to stdout or a file')
    .argument('<ref>', 'sha256, a unique sha256 prefix (8+ hex digits), or a name (newest wins)')
    .option('-o, --output <file>', 'write the bytes to this file')
    .action(lazy(async () => (await import('../actions/artifacts.js')).getArtifact));
  artifacts
    .command('lineage')
    .description('what an artifact was made from, as a Mermaid flowchart (--json: the DAG)')
    .argument('<ref>', 'sha256, a unique prefix, or a name')
    .action(lazy(async () => (await import('../actions/artifacts.js')).artifactLineage));
  return artifacts;
};
