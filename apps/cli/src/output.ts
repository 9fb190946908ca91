import { createInterface } from "node:readline";

/** Where a command writes: stdout is its result (text or JSON), stderr its progress, prompts and warnings. */
export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Progress redraws one line on a terminal; elsewhere it prints a line now and then. */
  stderrIsTTY: boolean;
  /** Asks a yes/no question on stderr and reads the answer from stdin (no answer: no). */
  confirm(question: string): Promise<boolean>;
}

export function stdio(): Output {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    stderrIsTTY: process.stderr.isTTY === true,
    confirm: (q) => confirmOnStdin(q),
  };
}

async function confirmOnStdin(question: string): Promise<boolean> {
  process.stderr.write(`${question} [y/N] `);
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once("line", resolve);
      rl.once("close", () => resolve(""));
    });
    if (process.stdin.isTTY !== true) process.stderr.write("\n");
    return /^\s*(y|yes|д|да)\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}

export interface Progress {
  tick(label: string): void;
  done(): void;
}

/**
 * "import: 12/300 Ivanov" on stderr. Only for runs of more than `minTotal` items (default 5). On a terminal one line
 * is redrawn; otherwise a line is printed about every tenth of the way.
 */
export function progress(out: Output, what: string, total: number, minTotal = 5): Progress {
  let n = 0;
  let drawn = false;
  if (total <= minTotal) return { tick: () => undefined, done: () => undefined };
  const step = Math.max(1, Math.floor(total / 10));
  return {
    tick(label) {
      n++;
      if (out.stderrIsTTY) {
        out.stderr(`\r\x1b[K${what} ${n}/${total} ${label}`);
        drawn = true;
      } else if (n % step === 0 || n === total) {
        out.stderr(`${what} ${n}/${total}\n`);
      }
    },
    done() {
      if (drawn) out.stderr("\r\x1b[K");
    },
  };
}
