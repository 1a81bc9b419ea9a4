/** Resolves with the signal's name on the first SIGINT or SIGTERM (a foreground command ends when the operator stops it). */
export const untilSignal = (): Promise<NodeJS.Signals> =>
  new Promise((resolve) => {
    const done = (signal: NodeJS.Signals) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(signal);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
