import type { RejectionCode, SessionsCommand } from "@persona/sessions";
import type { PortalContext } from "../context.ts";
import { ApiError } from "../http/errors.ts";
import { SessionsConflictError } from "@persona/sessions/writer";

/** What the sessions routes share: running a command through the writer, and the HTTP status of a rejection. */

const STATUS: Record<RejectionCode, number> = {
  invalid: 400,
  "unknown-group": 404,
  "unknown-session": 404,
  "unknown-person": 400,
  "unknown-occurrence": 404,
  "unknown-time-zone": 400,
  "group-exists": 409,
  "session-exists": 409,
  "duplicate-name": 409,
  "group-in-use": 409,
  "end-before-start": 400,
  "until-before-first-date": 400,
  "empty-roster": 400,
  "no-cameras": 400,
  cancelled: 409,
  "not-an-exam": 409,
  "not-started": 409,
  "missing-track": 400,
  "nothing-to-undo": 409,
};

/**
 * Decides and appends a command, then waits until this replica's fold has applied it (so the answer shows it).
 * A rejection is its HTTP error (code = the rejection's code); a write that kept conflicting is 409 "conflict".
 */
export async function runCommand(c: PortalContext, command: SessionsCommand): Promise<{ events: number }> {
  const { consumer, writer } = c.attendanceSessions;
  let outcome: Awaited<ReturnType<typeof writer.execute>>;
  try {
    outcome = await writer.execute(command);
  } catch (err) {
    if (err instanceof SessionsConflictError) throw new ApiError(409, "conflict", err.message);
    throw err;
  }
  if ("rejection" in outcome) {
    throw new ApiError(STATUS[outcome.rejection.code] ?? 400, outcome.rejection.code, outcome.rejection.message);
  }
  if (outcome.events.length > 0) await consumer.waitFor("SESSIONS", outcome.lastSeq);
  return { events: outcome.events.length };
}

/** The login's name: who made a change (recorded in its event). */
export const byOf = (session: { username: string } | null) => session?.username ?? "?";
