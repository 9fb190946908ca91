import { z } from "zod";
import { StoreValidationError } from "../errors.ts";
import type { CollectionDef, DocumentStore, Filter } from "../types.ts";
import { Day, EntityId, type Page, UtcTime, Repository, ValidatedCollection } from "./common.ts";

/** Attendance: one document per person per day. */
export const AttendanceDoc = z.object({
  /** `attendanceId(personId, day)`. */
  id: z.string().min(1),
  personId: EntityId,
  /** "YYYY-MM-DD" in the site's time zone (the projection's choice). */
  day: Day,
  firstSeen: UtcTime,
  lastSeen: UtcTime,
  /** Time in view of any camera that day, in seconds. */
  secondsInView: z.number().finite().min(0),
  /** Cameras that saw the person that day. */
  cameras: z.array(EntityId).default([]),
});
export type AttendanceDoc = z.infer<typeof AttendanceDoc>;
export type AttendanceInput = z.input<typeof AttendanceDoc>;

export const ATTENDANCE_COLLECTION: CollectionDef = {
  name: "attendance",
  indexes: [{ fields: ["day", "firstSeen"] }, { fields: ["personId", "day"] }],
};

export function attendanceId(personId: string, day: string): string {
  return `${personId}:${day}`;
}

export interface AttendanceQuery extends Page {
  /** Inclusive "YYYY-MM-DD". */
  fromDay?: string;
  /** Inclusive "YYYY-MM-DD". */
  toDay?: string;
}

export class AttendanceRepository extends Repository<typeof AttendanceDoc, AttendanceInput> {
  static async open(store: DocumentStore): Promise<AttendanceRepository> {
    return new AttendanceRepository(await ValidatedCollection.open(store, ATTENDANCE_COLLECTION, AttendanceDoc));
  }

  async get(personId: string, day: string): Promise<AttendanceDoc | undefined> {
    return this.docs.get(attendanceId(personId, day));
  }

  protected toStored(attendance: AttendanceInput): AttendanceInput {
    return checkId(attendance);
  }

  /** Everyone present on a day, earliest arrival first. */
  async listByDay(day: string, page: Page = {}): Promise<AttendanceDoc[]> {
    return this.docs.find({ day: checkDay(day) }, { sort: { firstSeen: 1 }, limit: page.limit, skip: page.skip });
  }

  /** One person's days, most recent first. */
  async listByPerson(personId: string, query: AttendanceQuery = {}): Promise<AttendanceDoc[]> {
    const filter: Filter = { personId };
    const day: { $gte?: string; $lte?: string } = {};
    if (query.fromDay !== undefined) day.$gte = checkDay(query.fromDay);
    if (query.toDay !== undefined) day.$lte = checkDay(query.toDay);
    if (Object.keys(day).length > 0) filter.day = day;
    return this.docs.find(filter, { sort: { day: -1 }, limit: query.limit, skip: query.skip });
  }
}

function checkDay(day: string): string {
  const parsed = Day.safeParse(day);
  if (!parsed.success)
    throw new StoreValidationError(`attendance: not a day "YYYY-MM-DD": ${JSON.stringify(day)}`, { cause: parsed.error });
  return parsed.data;
}

function checkId(attendance: AttendanceInput): AttendanceInput {
  if (attendance.id !== attendanceId(String(attendance.personId), String(attendance.day))) {
    throw new StoreValidationError(`attendance: id must be attendanceId(personId, day), got ${JSON.stringify(attendance.id)}`);
  }
  return attendance;
}
