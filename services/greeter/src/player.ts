import { spawn, spawnSync } from "node:child_process";

/** Plays a sound file. Never blocks the caller: `play` resolves when playback has started (or failed to). */
export interface AudioPlayer {
  readonly name: string;
  play(file: string): Promise<void>;
}

export class PlayerError extends Error {
  override name = "PlayerError";
}

interface PlayerCommand {
  name: string;
  bin: string;
  args: (file: string) => string[];
}

/** Players in order of preference: each must decode MP3. */
export const PLAYER_COMMANDS: readonly PlayerCommand[] = [
  { name: "ffplay", bin: "ffplay", args: (f) => ["-nodisp", "-autoexit", "-loglevel", "error", f] },
  { name: "mpg123", bin: "mpg123", args: (f) => ["-q", f] },
  // aplay cannot decode MP3: ffmpeg decodes, aplay plays
  {
    name: "ffmpeg+aplay",
    bin: "aplay",
    args: (f) => ["-c", `ffmpeg -v error -i '${f.replace(/'/g, "'\\''")}' -f wav - | aplay -q`],
  },
  // decodes without a sound device: proves the sound path on a machine without speakers (tests, headless desks)
  { name: "ffmpeg-null", bin: "ffmpeg", args: (f) => ["-v", "error", "-i", f, "-f", "null", "-"] },
];

const onPath = (bin: string) => spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0;

/** Finds the first available player (or the named one). Returns null when none exists. */
export function detectPlayer(preference: string, onFinished?: (err: Error | null, file: string) => void): AudioPlayer | null {
  const candidates =
    preference === "auto"
      ? PLAYER_COMMANDS.filter((p) => p.name !== "ffmpeg-null")
      : PLAYER_COMMANDS.filter((p) => p.name === preference);
  for (const c of candidates) {
    if (!onPath(c.bin)) continue;
    return new SubprocessPlayer(c, onFinished);
  }
  return null;
}

/** Runs a player subprocess per sound, at most one at a time, dropping sounds beyond a short queue. */
export class SubprocessPlayer implements AudioPlayer {
  readonly name: string;
  private playing = false;
  private readonly queue: string[] = [];

  constructor(
    private readonly cmd: PlayerCommand,
    private readonly onFinished: (err: Error | null, file: string) => void = () => {},
    private readonly maxQueue = 3,
  ) {
    this.name = cmd.name;
  }

  async play(file: string): Promise<void> {
    if (this.playing) {
      if (this.queue.length >= this.maxQueue) throw new PlayerError(`greeting dropped: ${this.maxQueue} sounds already waiting`);
      this.queue.push(file);
      return;
    }
    this.start(file);
  }

  private start(file: string): void {
    this.playing = true;
    const isShell = this.cmd.name === "ffmpeg+aplay";
    const proc = spawn(isShell ? "sh" : this.cmd.bin, this.cmd.args(file), { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    proc.stderr?.on("data", (c: Buffer) => {
      if (stderr.length < 2000) stderr += c.toString();
    });
    const done = (err: Error | null) => {
      this.playing = false;
      this.onFinished(err, file);
      const next = this.queue.shift();
      if (next) this.start(next);
    };
    proc.once("error", (err) => done(new PlayerError(`${this.cmd.name} failed to start: ${err.message}`)));
    proc.once("exit", (code) =>
      done(code === 0 ? null : new PlayerError(`${this.cmd.name} exited with ${code}: ${stderr.trim()}`)),
    );
  }
}
