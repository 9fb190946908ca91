import { z } from "zod";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { AttendanceRow, Id, items } from "../http/schemas.ts";
import { attendanceRowsOf } from "../views/attendance.ts";

const DayStr = z.iso.date();

export function csvCell(v: string | number): string {
  const s = String(v);
  // a leading = + - @ would be a formula in a spreadsheet
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** GET /attendance (per day and person) and GET /attendance.csv (days from..to). */
export function attendanceRoutes(api: Api, c: PortalContext): void {
  const attendanceRows = (docs: Parameters<typeof attendanceRowsOf>[1]) => attendanceRowsOf(c.models, docs);

  api.add({
    method: "get",
    path: "/attendance",
    summary: "Attendance per day and person",
    tag: "attendance",
    role: "viewer",
    query: z.object({ day: DayStr.optional(), personId: Id.optional() }),
    responses: { 200: items(AttendanceRow) },
    async handler({ query }) {
      const docs = query.personId
        ? await c.models.attendance.listByPerson(query.personId, { fromDay: query.day, toDay: query.day })
        : await c.models.attendance.listByDay(query.day ?? new Date().toISOString().slice(0, 10));
      return { status: 200, body: { items: await attendanceRows(docs) } };
    },
  });

  api.add({
    method: "get",
    path: "/attendance.csv",
    summary: "Attendance as CSV (header row), days from..to inclusive",
    tag: "attendance",
    role: "viewer",
    query: z.object({ from: DayStr.optional(), to: DayStr.optional() }),
    responses: { 200: { contentType: "text/csv", description: "person_id,name,day,first_seen,last_seen,seconds_in_view" } },
    async handler({ query, res }) {
      const day: Record<string, string> = {};
      if (query.from) day.$gte = query.from;
      if (query.to) day.$lte = query.to;
      const coll = await c.store.collection<{
        id: string;
        personId: string;
        day: string;
        firstSeen: string;
        lastSeen: string;
        secondsInView: number;
      }>({ name: "attendance" });
      const docs = await coll.find(Object.keys(day).length > 0 ? { day } : {}, { sort: { day: 1 }, limit: 100_000 });
      const rows = await attendanceRows(docs);
      const lines = ["person_id,name,day,first_seen,last_seen,seconds_in_view"];
      for (const r of rows)
        lines.push([r.personId, r.name, r.day, r.firstSeen, r.lastSeen, Math.round(r.secondsInView)].map(csvCell).join(","));
      res.setHeader("Content-Type", "text/csv; charset=utf-8");
      res.setHeader(
        "Content-Disposition",
        `attachment; filename="attendance${query.from ? `-${query.from}` : ""}${query.to ? `-${query.to}` : ""}.csv"`,
      );
      res.status(200).send(`${lines.join("\r\n")}\r\n`);
      return null;
    },
  });
}
