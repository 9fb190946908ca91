import { MessageDeadLettered } from "@persona/contracts";
import { type AlertDoc, UserRole } from "@persona/store";
import { z } from "zod";
import { ALERTS_PROJECTION } from "../alerts/projection.ts";
import { AlertRules } from "../alerts/rules.ts";
import { UserError, publicUser } from "../auth/users.ts";
import { type PortalContext, projected } from "../context.ts";
import type { Api } from "../http/api.ts";
import { ApiError, badRequest, notFound } from "../http/errors.ts";
import {
  Alert,
  AlertStatusApi,
  AttendanceRow,
  Camera,
  Id,
  PresenceItem,
  Sighting,
  SystemStatus,
  UserRow,
  items,
  limit,
} from "../http/schemas.ts";
import { presenceItems } from "../live/push.ts";
import { MEDIA_BUCKETS, validMediaKey } from "../media.ts";
import { sightingsOf } from "./people.ts";

const Time = z.iso.datetime({ offset: true });
const DayStr = z.iso.date();

export function alertOf(a: AlertDoc): z.infer<typeof Alert> {
  return {
    alertId: a.id,
    kind: a.kind ?? a.rule,
    severity: a.severity,
    cameraId: a.cameraId,
    personId: a.personId,
    trackId: a.trackId,
    message: a.message,
    cropKey: a.cropKey,
    raisedAt: a.at,
    status: a.status === "raised" ? "open" : a.status,
    acknowledgedBy: a.acknowledgedBy,
    acknowledgedAt: a.acknowledgedAt,
    resolvedAt: a.resolvedAt,
  };
}

const userError = (err: unknown): never => {
  if (err instanceof UserError) {
    const status = err.code === "not-found" ? 404 : err.code === "exists" || err.code === "last-admin" ? 409 : 400;
    throw new ApiError(status, err.code, err.message);
  }
  throw err;
};

export function csvCell(v: string | number): string {
  const s = String(v);
  // a leading = + - @ would be a formula in a spreadsheet
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function otherRoutes(api: Api, c: PortalContext): void {
  // ------------------------------------------------------------------ sightings, presence
  api.add({
    method: "get",
    path: "/sightings",
    summary: "Sightings, newest first, by camera, person and time",
    tag: "sightings",
    role: "viewer",
    query: z.object({
      cameraId: Id.optional(),
      personId: Id.optional(),
      from: Time.optional(),
      to: Time.optional(),
      limit: limit(100, 1000),
    }),
    responses: { 200: items(Sighting) },
    async handler({ query }) {
      const docs = await c.models.sightings.list(query);
      return { status: 200, body: { items: await sightingsOf(c, docs) } };
    },
  });

  api.add({
    method: "get",
    path: "/presence",
    summary: "Who is in view now",
    tag: "sightings",
    role: "viewer",
    responses: { 200: items(PresenceItem) },
    async handler() {
      return { status: 200, body: { items: await presenceItems(c.models, undefined, c.cameras) } };
    },
  });

  // ------------------------------------------------------------------ alerts, rules
  const AlertParams = z.object({ alertId: z.uuid() });
  api.add({
    method: "get",
    path: "/alerts",
    summary: "Alerts, newest first",
    tag: "alerts",
    role: "viewer",
    query: z.object({ status: AlertStatusApi.optional(), limit: limit(100, 1000) }),
    responses: { 200: items(Alert) },
    async handler({ query }) {
      const status = query.status === "open" ? "raised" : query.status;
      const docs = await c.alerts.list({ status, limit: query.limit });
      return { status: 200, body: { items: docs.map(alertOf) } };
    },
  });

  for (const action of ["ack", "resolve"] as const) {
    api.add({
      method: "post",
      path: `/alerts/:alertId/${action}`,
      summary: action === "ack" ? "Acknowledge an alert (who and when are recorded)" : "Resolve an alert",
      tag: "alerts",
      role: "operator",
      params: AlertParams,
      body: z.object({ note: z.string().max(1000).default("") }),
      responses: { 200: Alert },
      async handler({ params, body, session }) {
        const a = await c.alerts.get(params.alertId);
        if (!a) throw notFound(`alert ${params.alertId}`);
        if (action === "ack" && a.status !== "raised") throw new ApiError(409, "not-open", `the alert is ${a.status}`);
        if (action === "resolve" && a.status === "resolved") throw new ApiError(409, "resolved", "the alert is resolved");
        const by = session?.username ?? "?";
        const env =
          action === "ack"
            ? c.bus.envelope("AlertAcknowledged", { alertId: a.id, by, note: body.note })
            : c.bus.envelope("AlertResolved", { alertId: a.id, by, note: body.note });
        const ack = await c.bus.publish(env);
        await projected(c.store, ALERTS_PROJECTION, ack.seq);
        return { status: 200, body: alertOf((await c.alerts.get(a.id)) ?? a) };
      },
    });
  }

  api.add({
    method: "get",
    path: "/rules",
    summary: "The alert rules (camera roles and schedules, rules)",
    tag: "alerts",
    role: "viewer",
    responses: { 200: AlertRules },
    async handler() {
      return { status: 200, body: await c.rules.get() };
    },
  });

  api.add({
    method: "put",
    path: "/rules",
    summary: "Replace the alert rules (validated; 400 with zod issues)",
    tag: "alerts",
    role: "admin",
    body: AlertRules,
    responses: { 200: AlertRules },
    async handler({ body }) {
      await c.rules.put(body);
      return { status: 200, body };
    },
  });

  // ------------------------------------------------------------------ cameras, attendance
  api.add({
    method: "get",
    path: "/cameras",
    summary: "Cameras: status, role, live view URL",
    tag: "cameras",
    role: "viewer",
    responses: { 200: items(Camera) },
    async handler() {
      // the cameras are known from the read model: with NATS away and no rules read yet, they come without rule roles
      const rules = await c.rules.get().catch(() => ({ cameras: {} as Record<string, { role?: string }> }));
      const ids = new Set([...c.cameras.cameras.keys(), ...Object.keys(rules.cameras), ...Object.keys(c.liveUrls)]);
      const out = [...ids].sort().map((id) => {
        const v = c.cameras.cameras.get(id);
        return {
          cameraId: id,
          status: v?.status ?? "unknown",
          role: rules.cameras[id]?.role ?? v?.role ?? null,
          lastChangeAt: v?.lastChangeAt ?? null,
          liveUrl: c.liveUrls[id] ?? null,
        };
      });
      return { status: 200, body: { items: out } };
    },
  });

  const attendanceRows = async (
    docs: { personId: string; day: string; firstSeen: string; lastSeen: string; secondsInView: number }[],
  ) => {
    const names = new Map<string, string>();
    const out: z.infer<typeof AttendanceRow>[] = [];
    for (const d of docs) {
      if (!names.has(d.personId)) names.set(d.personId, (await c.models.people.get(d.personId))?.name ?? d.personId);
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
  };

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

  // ------------------------------------------------------------------ system
  api.add({
    method: "get",
    path: "/system",
    summary: "Readiness, consumer lag and dead letters",
    tag: "system",
    role: "viewer",
    responses: { 200: SystemStatus },
    async handler() {
      const consumers: z.infer<typeof SystemStatus>["consumers"] = [];
      let deadLetters: number | null = 0;
      let natsError: string | null = null;
      try {
        for await (const s of c.bus.jsm.streams.list()) {
          if (s.config.name === "DEADLETTER") deadLetters = s.state.messages;
          for await (const ci of c.bus.jsm.consumers.list(s.config.name)) {
            if (!ci.config.durable_name) continue;
            consumers.push({
              stream: s.config.name,
              name: ci.name,
              pending: ci.num_pending,
              ackPending: ci.num_ack_pending,
              redelivered: ci.num_redelivered,
            });
          }
        }
      } catch (err) {
        // the page an operator opens during an outage: it says what is known instead of failing
        consumers.length = 0;
        deadLetters = null;
        natsError = `NATS does not answer: ${(err as Error).message}`;
      }
      void MessageDeadLettered;
      return { status: 200, body: { services: await c.readiness(), consumers, deadLetters, natsError } };
    },
  });

  // ------------------------------------------------------------------ users
  const UserParams = z.object({ username: z.string().min(1).max(64) });
  api.add({
    method: "get",
    path: "/users",
    summary: "Console users",
    tag: "users",
    role: "admin",
    responses: { 200: items(UserRow) },
    async handler() {
      return { status: 200, body: { items: (await c.users.list()).map(publicUser) } };
    },
  });
  api.add({
    method: "post",
    path: "/users",
    summary: "Add a user",
    tag: "users",
    role: "admin",
    body: z.object({ username: z.string().min(1).max(64), role: UserRole, password: z.string().min(1).max(1024) }),
    responses: { 201: UserRow },
    async handler({ body }) {
      const u = await c.users.add(body.username, body.role, body.password).catch(userError);
      return { status: 201, body: publicUser(u) };
    },
  });
  api.add({
    method: "patch",
    path: "/users/:username",
    summary: "Change a user's role or password (ends their sessions)",
    tag: "users",
    role: "admin",
    params: UserParams,
    body: z
      .object({ role: UserRole.optional(), password: z.string().min(1).max(1024).optional() })
      .refine((v) => v.role !== undefined || v.password !== undefined, "role or password"),
    responses: { 200: UserRow },
    async handler({ params, body, session }) {
      const u = await c.users.update(params.username, body).catch(userError);
      if (u.id !== session?.userId || body.role !== undefined) await c.sessions.deleteUser(u.id);
      return { status: 200, body: publicUser(u) };
    },
  });
  api.add({
    method: "delete",
    path: "/users/:username",
    summary: "Remove a user (ends their sessions)",
    tag: "users",
    role: "admin",
    params: UserParams,
    responses: { 204: { contentType: "text/plain", description: "removed" } },
    async handler({ params }) {
      const u = await c.users.remove(params.username).catch(userError);
      await c.sessions.deleteUser(u.id);
      return { status: 204 };
    },
  });

  // ------------------------------------------------------------------ media
  for (const bucket of MEDIA_BUCKETS) {
    api.add({
      method: "get",
      path: `/media/${bucket}/*key`,
      summary: `A stored object of the ${bucket} bucket, by key`,
      tag: "media",
      role: "viewer",
      params: z.object({ key: z.union([z.string(), z.array(z.string())]) }),
      responses: { 200: { contentType: bucket === "sounds" ? "audio/mpeg" : "image/*", description: "the object's bytes" } },
      async handler({ params, req, res }) {
        // the raw path, so encoded separators and dot segments are judged as sent
        const raw = req.path.slice(`/media/${bucket}/`.length);
        let key: string;
        try {
          key = decodeURIComponent(raw);
        } catch {
          throw badRequest("malformed key");
        }
        void params;
        if (!validMediaKey(key) || key !== raw) throw badRequest("invalid media key");
        const m = await c.media.get(bucket, key);
        if (!m) throw notFound(`${bucket}/${key}`);
        res.setHeader("Content-Type", m.contentType);
        res.setHeader("X-Content-Type-Options", "nosniff");
        res.setHeader("Cache-Control", "private, max-age=3600");
        res.status(200).end(Buffer.from(m.bytes));
        return null;
      },
    });
  }
}
