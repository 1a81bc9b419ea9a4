/**
 * The example of docs/client.md: a script that runs a job through `LilyClient`, prints its
 * progress from the log, approves the step that waits for a human, and returns the result.
 * It is compiled with the sources and run by test/int/client/lily-client.int.test.ts.
 *
 * In a project of your own, import from the package instead: `import { LilyClient } from 'lily';`
 */
import { LilyClient, type RunResult } from '../../src/index.js';

/** Runs `jobId` in the project at (or above) `cwd`, granting every approval it asks for. */
export const shipWithApproval = async (
  cwd: string,
  jobId: string,
  log: (line: string) => void,
): Promise<RunResult> => {
  // Finds the project by walking up from `cwd`, like git; nothing is opened yet.
  const client = await LilyClient.open({ cwd, identity: 'release-bot' });
  try {
    // Starts the run on the running deployment, or on an engine in this process when none runs.
    const run = await client.runs.submit(jobId, { input: { reason: 'nightly' } });
    log(`run ${run.runId} on the ${run.engine} engine`);
    // Every event of the run, in order, from the log; ends after `run.completed`.
    for await (const event of run.follow()) {
      log(`${event.seq} ${event.type}`);
      if (event.type === 'approval.requested') {
        const { approvalId } = event.data as { approvalId: string };
        await client.approvals.grant(approvalId, { comment: 'approved by the release script' });
      }
    }
    // One fold of the log: status, envelope, receipt (and the error of a failed run).
    const result = await run.result();
    if (result.error) throw result.error;
    return result;
  } finally {
    // Stops the engine this client started, if it started one.
    await client.close();
  }
};
