/** The Attendance page's rows, pure: the day's rows (GET /attendance) and pushed `attendance` rows as one table. */
import type { AttendanceRow } from "./api.gen.ts";

/** A person's row only grows while the day goes on: the one seen later (then the longer in view) is the newer. */
const newer = (a: AttendanceRow, b: AttendanceRow) =>
  a.lastSeen > b.lastSeen || (a.lastSeen === b.lastSeen && a.secondsInView > b.secondsInView);

/**
 * `rows` with the rows of `more` that are of `day`, each replacing the person's row when newer or added; in the
 * portal's order (first seen first).
 */
export function mergeAttendance(rows: AttendanceRow[], more: AttendanceRow[], day: string): AttendanceRow[] {
  const byPerson = new Map(rows.map((r) => [r.personId, r]));
  for (const r of more) {
    if (r.day !== day) continue;
    const cur = byPerson.get(r.personId);
    if (!cur || newer(r, cur)) byPerson.set(r.personId, r);
  }
  return [...byPerson.values()].sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : 0));
}
