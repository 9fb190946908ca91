import type { Output } from "../output.ts";

/** An Output that keeps what a command printed (stdout and stderr) and declines every confirmation. */
export function capture(): Output & { out: string; err: string } {
  const o = {
    out: "",
    err: "",
    stdout(t: string) {
      o.out += t;
    },
    stderr(t: string) {
      o.err += t;
    },
    stderrIsTTY: false,
    confirm: async () => false,
  };
  return o;
}
