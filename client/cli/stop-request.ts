/**
 * Ctrl-C / SIGTERM for a command that runs until stopped.
 *
 * Listening starts when this is made, before the command prints anything a person or a script can react
 * to. A signal with no listener kills the process with no cleanup, so a Ctrl-C sent right after a line
 * like "Live:" used to end `share` by the signal when the process was descheduled between writing the line
 * and adding its listener (seen under load in full test runs).
 */
export class StopRequest {
  /** Resolves at the first stop: a signal, or `stop()` (e.g. the room closed the connection for good). */
  readonly stopped: Promise<void>;
  private resolveStopped!: () => void;
  private done = false;

  constructor() {
    this.stopped = new Promise((resolve) => {
      this.resolveStopped = resolve;
    });
    process.once('SIGINT', this.stop);
    process.once('SIGTERM', this.stop);
  }

  get requested(): boolean {
    return this.done;
  }

  readonly stop = (): void => {
    this.dispose();
    this.done = true;
    this.resolveStopped();
  };

  /** Stops listening: the signals' default (end the process) applies again. */
  dispose(): void {
    process.off('SIGINT', this.stop);
    process.off('SIGTERM', this.stop);
  }
}
