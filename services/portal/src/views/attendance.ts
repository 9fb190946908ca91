import type { AttendanceDoc } from "@persona/store";
import type { z } from "zod";
import type { AttendanceRow } from "../http/schemas.ts";
import type { ReadModels } from "../projections/readModels.ts";

/** Attendance rows as the API shows them (GET /attendance, the CSV) and the live push sends them (`attendance`). */
export async function attendanceRowsOf(
  models: Pick<ReadModels, "people">,
  docs: Pick<AttendanceDoc, "personId" | "day" | "firstSeen" | "lastSeen" | "secondsInView">[],
): Promise<z.infer<typeof AttendanceRow>[]> {
  const names = new Map<string, string>();
  const out: z.infer<typeof AttendanceRow>[] = [];
  for (const d of docs) {
    if (!names.has(d.personId)) names.set(d.personId, (await models.people.get(d.personId))?.name ?? d.personId);
    out.push({
      personId: d.personId,
      name: names.get(d.personId) as string,
      day: d.day,
      firstSeen: d.firstSeen,
      lastSeen: d.lastSeen,
      secondsInView: d.secondsInView,
    });
  }
  return out;
}
