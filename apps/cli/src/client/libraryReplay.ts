import { type Bus, ReplayTimeoutError } from "@persona/bus";
import { LIBRARY_EVENT_TYPES, type LibraryEvent, type LibraryState, emptyLibrary, evolve } from "@persona/library";
import { CliError } from "../errors.ts";
import { type RejectionMemory, noteRejection } from "../library/rejections.ts";

export interface ReplayedLibrary {
  state: LibraryState;
  /** Photos rejected by the recognizer, by person and sha256. */
  rejected: RejectionMemory;
  /** LIBRARY messages read. */
  events: number;
  /** Messages that were not valid library events (skipped). */
  invalid: number;
}

const isLibraryEvent = (type: string): type is LibraryEvent["type"] => (LIBRARY_EVENT_TYPES as readonly string[]).includes(type);

/**
 * The current people library: the LIBRARY stream replayed from its start into `emptyLibrary()` with the pure
 * `evolve` (no database needed), through the bus's replay. A missing stream is an empty library.
 */
export async function replayLibrary(bus: Bus, options: { timeoutMs?: number } = {}): Promise<ReplayedLibrary> {
  const out: ReplayedLibrary = { state: emptyLibrary(), rejected: new Map(), events: 0, invalid: 0 };
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    await bus.replay({ stream: "LIBRARY", filter: "library.>", timeoutMs }, (d) => {
      out.events++;
      const env = d.env;
      if (env !== null && isLibraryEvent(env.type)) {
        evolve(out.state, env as LibraryEvent, d.seq);
        if (env.type === "EnrollmentRejected") noteRejection(out.rejected, env);
      } else out.invalid++;
    });
  } catch (err) {
    if (err instanceof ReplayTimeoutError) {
      throw new CliError(`reading the LIBRARY stream did not finish within ${timeoutMs / 1000} s`, 1, { cause: err });
    }
    throw new CliError(`cannot read the LIBRARY stream: ${(err as Error).message}`, 1, { cause: err });
  }
  return out;
}
