import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "@persona/runtime";

/**
 * A state kept in `file`: `save()` writes `snapshot()` at once (to a temporary file, then renamed over it, so a crash
 * leaves the old or the new one); `scheduleSave()` saves it `delayMs` after the first change since the last save.
 * A null snapshot writes nothing; a failed write is a warning (the state is saved again later).
 */
export class SnapshotFile {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string,
    private readonly snapshot: () => string | Uint8Array | null,
    private readonly log: Logger,
    /** What the file holds, for the warning ("the crop bank"). */
    private readonly what: string,
    private readonly delayMs = 5000,
  ) {}

  scheduleSave(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.save();
    }, this.delayMs);
  }

  save(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const data = this.snapshot();
    if (data === null) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, data);
      renameSync(tmp, this.file);
    } catch (err) {
      this.log.warn({ err }, `cannot save ${this.what}`);
    }
  }
}
