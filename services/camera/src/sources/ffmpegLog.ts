/** Reads what ffmpeg says on stderr: the output frame size, the input frame rate, and why it failed. Pure. */
import { redactSecrets } from "./ffmpegArgs.ts";

/** Lines that say nothing useful (printed for every MJPEG frame, or progress). */
const NOISE = [/deprecated pixel format used/, /^\s*frame=\s*\d+/, /^\s*video:\d+kB/, /EOI missing, emulating/];

/** Most specific first: the line that explains a failure best. */
const FAILURE_PATTERNS: readonly { re: RegExp; kind: FailureKind }[] = [
  { re: /No such file or directory/i, kind: "not-found" },
  { re: /Permission denied/i, kind: "denied" },
  { re: /Invalid data found when processing input/i, kind: "not-video" },
  { re: /moov atom not found/i, kind: "not-video" },
  { re: /matches no streams/i, kind: "not-video" },
  { re: /does not contain any stream/i, kind: "not-video" },
  { re: /Connection refused/i, kind: "network" },
  { re: /Connection timed out|timed out/i, kind: "network" },
  { re: /Server returned|401 Unauthorized|404 Not Found|403 Forbidden/i, kind: "network" },
  { re: /Name or service not known|Temporary failure in name resolution|Network is unreachable/i, kind: "network" },
  { re: /End of file|Connection reset by peer|Broken pipe/i, kind: "network" },
];

export type FailureKind = "not-found" | "denied" | "not-video" | "network" | "unknown";

export interface FfmpegFailure {
  kind: FailureKind;
  /** The most telling line (secrets redacted), or a generic text. */
  message: string;
}

export class FfmpegLog {
  /** Size of the raw frames on stdout, once ffmpeg has printed its output header. */
  outputSize: { width: number; height: number } | null = null;
  /** Frame rate of the input video stream (fps, else tbr), when ffmpeg printed one. */
  inputFps: number | null = null;
  #section: "none" | "input" | "output" = "none";
  #partial = "";
  #tail: string[] = [];
  #errors: string[] = [];

  constructor(private readonly tailLines = 30) {}

  /** Feeds a chunk of stderr (lines may be split across chunks; `\r` counts as a line end). */
  push(chunk: string): void {
    const text = this.#partial + chunk;
    const lines = text.split(/\r\n|\n|\r/);
    this.#partial = lines.pop() ?? "";
    for (const line of lines) this.#line(line);
  }

  /** Ends the stream (a last line without newline). */
  end(): void {
    if (this.#partial) this.#line(this.#partial);
    this.#partial = "";
  }

  /** The last meaningful lines, secrets redacted. */
  tail(n = 5): string[] {
    return this.#tail.slice(-n).map(redactSecrets);
  }

  /** Why the run failed, from the lines seen (best match first), secrets redacted. */
  failure(): FfmpegFailure {
    const candidates = [...this.#errors, ...this.#tail];
    for (const { re, kind } of FAILURE_PATTERNS) {
      for (let i = candidates.length - 1; i >= 0; i--) {
        const line = candidates[i] as string;
        if (re.test(line)) return { kind, message: redactSecrets(line.trim()) };
      }
    }
    const last = this.#tail.at(-1);
    return { kind: "unknown", message: last ? redactSecrets(last.trim()) : "ffmpeg exited without a message" };
  }

  #line(raw: string): void {
    const line = raw.trimEnd();
    if (line.trim() === "" || NOISE.some((re) => re.test(line))) return;
    this.#tail.push(line);
    if (this.#tail.length > this.tailLines) this.#tail.shift();
    if (FAILURE_PATTERNS.some((p) => p.re.test(line))) {
      this.#errors.push(line);
      if (this.#errors.length > 10) this.#errors.shift();
    }
    if (/^Input #\d+/.test(line)) this.#section = "input";
    else if (/^Output #\d+/.test(line)) this.#section = "output";
    else if (/^Stream mapping:/.test(line)) this.#section = "none";
    const stream = /^\s+Stream #\d+:\d+.*?: Video: (.*)$/.exec(line);
    if (!stream) return;
    const desc = stream[1] as string;
    if (this.#section === "output" && this.outputSize === null && /^rawvideo/.test(desc)) {
      const size = /,\s*(\d{1,5})x(\d{1,5})[\s,[]/.exec(`${desc} `);
      if (size) this.outputSize = { width: Number(size[1]), height: Number(size[2]) };
    } else if (this.#section === "input" && this.inputFps === null) {
      const fps = /,\s*([\d.]+)(k?) fps\b/.exec(desc) ?? /,\s*([\d.]+)(k?) tbr\b/.exec(desc);
      if (fps) {
        const v = Number(fps[1]) * (fps[2] === "k" ? 1000 : 1);
        if (Number.isFinite(v) && v > 0 && v <= 1000) this.inputFps = v;
      }
    }
  }
}
