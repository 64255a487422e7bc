/** One `gatehouse` sub-command. `run` returns the exit code (0 ok, 1 policy failure, 2 error). */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

/** Where a command writes; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /**
   * A promise while stdout holds written text it could not pass on yet (a pipe whose reader lags:
   * process.stdout then queues every write in memory), resolved once it has; undefined when it
   * holds none. Long outputs (writeJson) wait on it between batches.
   */
  stdoutBacklog?: () => Promise<void> | undefined;
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdoutBacklog: () => {
    const out = process.stdout;
    if (!out.writableNeedDrain) return undefined;
    // 'close' too: a stream that failed (EPIPE) never drains; its error is reported as before.
    return new Promise<void>((resolve) => {
      const done = () => {
        out.off('drain', done);
        out.off('close', done);
        resolve();
      };
      out.once('drain', done);
      out.once('close', done);
    });
  },
};
