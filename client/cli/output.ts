/** Where a command talks: results on stdout, progress and problems on stderr (so stdout can be piped). */
export interface Output {
  print(line: string): void;
  error(line: string): void;
  /** a progress line: redrawn in place on a terminal, printed at most every 10% otherwise */
  progress(label: string, done: number, total: number | null): void;
  /** ends a progress line */
  progressDone(): void;
}

export function consoleOutput(stdout = process.stdout, stderr = process.stderr): Output {
  const tty = Boolean(stderr.isTTY);
  let lastStep = -1;
  let open = false;
  /** off a terminal: the newest progress text, and whether it was printed (the end always is) */
  let latest: string | null = null;
  let latestPrinted = false;
  return {
    print: (line) => stdout.write(`${line}\n`),
    error: (line) => {
      if (open) stderr.write('\n');
      open = false;
      stderr.write(`${line}\n`);
    },
    progress(label, done, total) {
      const text =
        total && total > 0
          ? `${label} ${mb(done)} / ${mb(total)} (${Math.floor((done / total) * 100)}%)`
          : `${label} ${mb(done)}`;
      if (tty) {
        stderr.write(`\r${text}\u001b[K`);
        open = true;
        return;
      }
      const step = total && total > 0 ? Math.floor((done / total) * 10) : Math.floor(done / (1024 * 1024));
      latest = text;
      latestPrinted = step !== lastStep;
      if (latestPrinted) {
        lastStep = step;
        stderr.write(`${text}\n`);
      }
    },
    progressDone() {
      if (open) stderr.write('\n');
      // Off a terminal the lines come every 10% (or MB): the last one may be far behind, like "sent 0 kB"
      // for a whole 300 kB upload. The finished figure is always printed.
      else if (latest !== null && !latestPrinted) stderr.write(`${latest}\n`);
      open = false;
      lastStep = -1;
      latest = null;
      latestPrinted = false;
    },
  };
}

function mb(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
