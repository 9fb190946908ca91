import { counts } from "@persona/contracts";
import type { z } from "zod";
import { type AttendanceState, type PersonRow, peopleOf, personRow, unknownTracksOf } from "./attendance.ts";

/**
 * Event mode (a conference, an open day): a guest checks in with their first confirmed sighting at any of the
 * session's cameras, whenever in the window (no lateness); a check-in is once per person per occurrence, which is
 * what the greeter needs to greet once. Walk-ins: confirmed people not registered, and unknown faces.
 */

export interface CheckIn {
  personId: string;
  at: number | null;
  cameraId: string | null;
  score: number | null;
  registered: boolean;
  /** Marked present by a person (no sighting needed). */
  manual: boolean;
}

/**
 * The check-in desk's counters; `waiting`: registered guests not checked in (yet). The portal answers them as they are
 * (services/portal/src/http/schemas.ts).
 */
export const CheckInCounters = counts("registered", "checkedIn", "waiting", "walkInsKnown", "walkInsUnknown");
export type CheckInCounters = z.infer<typeof CheckInCounters>;

export interface EventView {
  occurrenceId: string;
  counters: CheckInCounters;
  /** Registered guests who checked in, by arrival. */
  checkedIn: CheckIn[];
  waiting: string[];
  /** Recognised people not registered, by arrival. */
  walkIns: CheckIn[];
  /** Unknown faces, offered for quick enrollment as guests. */
  unknownTrackIds: string[];
}

const checkInOf = (r: PersonRow): CheckIn => ({
  personId: r.personId,
  at: r.firstSeenAt,
  cameraId: r.cameraId,
  score: r.bestScore,
  registered: r.onRoster,
  manual: r.manual?.action === "mark-present",
});

const byTime = (a: CheckIn, b: CheckIn) =>
  (a.at ?? Number.MAX_SAFE_INTEGER) - (b.at ?? Number.MAX_SAFE_INTEGER) || a.personId.localeCompare(b.personId);

/** The check-in desk's counters and lists at `now`. */
export function eventView(state: AttendanceState, now: number): EventView {
  const checkedIn: CheckIn[] = [];
  const walkIns: CheckIn[] = [];
  const waiting: string[] = [];
  for (const personId of peopleOf(state)) {
    const row = personRow(state, personId, now);
    const inside = row.tracks > 0 || row.manual?.action === "mark-present";
    if (inside) (row.onRoster ? checkedIn : walkIns).push(checkInOf(row));
    else if (row.onRoster) waiting.push(personId);
  }
  const unknown = unknownTracksOf(state).map((u) => u.trackId);
  return {
    occurrenceId: state.occurrence.occurrenceId,
    counters: {
      registered: state.roster.length,
      checkedIn: checkedIn.length,
      waiting: waiting.length,
      walkInsKnown: walkIns.length,
      walkInsUnknown: unknown.length,
    },
    checkedIn: checkedIn.sort(byTime),
    waiting,
    walkIns: walkIns.sort(byTime),
    unknownTrackIds: unknown,
  };
}
