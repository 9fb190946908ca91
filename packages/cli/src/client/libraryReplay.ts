import type { Bus } from "@persona/bus";
import { AnyEnvelopeSchema } from "@persona/contracts";
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
 * `evolve` (no database needed), through an ordered consumer. A missing stream is an empty library.
 */
export async function replayLibrary(bus: Bus, options: { timeoutMs?: number } = {}): Promise<ReplayedLibrary> {
  const out: ReplayedLibrary = { state: emptyLibrary(), rejected: new Map(), events: 0, invalid: 0 };
  let lastSeq: number;
  try {
    const info = await bus.jsm.streams.info("LIBRARY");
    if (info.state.messages === 0) return out;
    lastSeq = info.state.last_seq;
  } catch (err) {
    if (isNotFound(err)) return out;
    throw new CliError(`cannot read the LIBRARY stream: ${(err as Error).message}`, 1, { cause: err });
  }
  const consumer = await bus.js.consumers.get("LIBRARY", { filter_subjects: "library.>", deliver_policy: "all" });
  const messages = await consumer.consume({ max_messages: 512 });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const timer = setTimeout(() => void messages.close(), timeoutMs);
  let complete = false;
  try {
    for await (const m of messages) {
      out.events++;
      const parsed = AnyEnvelopeSchema.safeParse(safeJson(m.data));
      if (parsed.success && isLibraryEvent(parsed.data.type)) {
        const env = parsed.data as LibraryEvent;
        evolve(out.state, env, m.seq);
        if (env.type === "EnrollmentRejected") noteRejection(out.rejected, env);
      } else {
        out.invalid++;
      }
      if (m.info.pending === 0 || m.seq >= lastSeq) {
        complete = true;
        break;
      }
    }
  } finally {
    clearTimeout(timer);
    await messages.close().catch(() => undefined);
    await consumer.delete().catch(() => undefined);
  }
  if (!complete) throw new CliError(`reading the LIBRARY stream did not finish within ${timeoutMs / 1000} s`);
  return out;
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return null;
  }
}

/** A JetStream API "not found" (stream or consumer), without depending on the client's error classes. */
export function isNotFound(err: unknown): boolean {
  return typeof err === "object" && err !== null && "status" in err && (err as { status: unknown }).status === 404;
}
