import { CameraRole, Severity } from "@persona/contracts";
import { z } from "zod";

/** The API's JSON shapes (services/portal/API.md), the source of the OpenAPI document. */

export const Role = z.enum(["admin", "operator", "viewer"]);
export const User = z.object({ username: z.string(), role: Role });
export const UserRow = User.extend({ createdAt: z.string() });
export const Me = z.object({ user: User, csrfToken: z.string() });

export const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "an id: letters, digits, '_' or '-'");

export const Person = z.object({
  personId: z.string(),
  name: z.string(),
  description: z.string(),
  photoKeys: z.array(z.string()),
  soundKey: z.string().nullable(),
  templates: z.number().int(),
  watchlist: z.object({ reason: z.string() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const Template = z.object({
  id: z.string(),
  origin: z.string(),
  photoKey: z.string().nullable(),
  quality: z.number(),
  addedAt: z.string(),
});
export const Sighting = z.object({
  id: z.string(),
  cameraId: z.string(),
  trackId: z.string(),
  personId: z.string().nullable(),
  name: z.string().nullable(),
  decision: z.enum(["recognized", "unknown"]),
  score: z.number(),
  at: z.string(),
  cropKey: z.string().nullable(),
});
export const PhotoOutcome = z.object({
  file: z.string(),
  outcome: z.enum(["added", "rejected"]),
  reason: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Object key of the stored photo (GET /api/v1/media/photos/<key>), when it was stored. */
  photoKey: z.string().nullable().optional(),
});
export const EnrollResult = z.object({ personId: z.string(), enrolled: z.boolean(), photos: z.array(PhotoOutcome) });

export const PresenceItem = z.object({
  cameraId: z.string(),
  personId: z.string().nullable(),
  name: z.string().nullable(),
  trackId: z.string(),
  since: z.string(),
  lastSeen: z.string(),
});

export const AlertStatusApi = z.enum(["open", "acknowledged", "resolved"]);
export const Alert = z.object({
  alertId: z.string(),
  kind: z.string(),
  severity: z.union([Severity, z.string()]),
  cameraId: z.string().nullable(),
  personId: z.string().nullable(),
  trackId: z.string().nullable(),
  message: z.string(),
  cropKey: z.string().nullable(),
  raisedAt: z.string(),
  status: AlertStatusApi,
  acknowledgedBy: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
  resolvedAt: z.string().nullable(),
});

export const Camera = z.object({
  cameraId: z.string(),
  status: z.string(),
  role: CameraRole.nullable(),
  lastChangeAt: z.string().nullable(),
  liveUrl: z.string().nullable(),
});

export const AttendanceRow = z.object({
  personId: z.string(),
  name: z.string(),
  day: z.string(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  secondsInView: z.number(),
});

export const SystemStatus = z.object({
  services: z.array(z.object({ name: z.string(), ready: z.boolean(), detail: z.string() })),
  consumers: z.array(
    z.object({ stream: z.string(), name: z.string(), pending: z.number(), ackPending: z.number(), redelivered: z.number() }),
  ),
  /** null while NATS does not answer (then `natsError` says why and `consumers` is empty). */
  deadLetters: z.number().nullable(),
  natsError: z.string().nullable(),
});

export const VisitorStatusApi = z.enum(["open", "named", "ignored"]);
export const Visitor = z.object({
  visitorId: z.string(),
  status: VisitorStatusApi,
  faces: z.number().int(),
  visits: z.number().int(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  cameras: z.array(z.string()),
  /** The best faces by quality, best first; `cropKey` under GET /api/v1/media/crops/<key>. */
  bestCrops: z.array(
    z.object({
      detectionId: z.string(),
      cameraId: z.string(),
      trackId: z.string(),
      quality: z.number(),
      seenAt: z.string(),
      cropKey: z.string().nullable(),
    }),
  ),
  /** Visitors merged into this one. */
  absorbed: z.array(z.string()),
  decision: z
    .object({
      kind: z.enum(["named", "ignored"]),
      by: z.string(),
      at: z.string(),
      reason: z.string().nullable(),
      personId: z.string().nullable(),
      personName: z.string().nullable(),
      existing: z.boolean().nullable(),
      inheritedFrom: z.string().nullable(),
    })
    .nullable(),
  clusteredAt: z.string(),
  updatedAt: z.string(),
});
/** An event a request published (202 answers). */
export const Published = z.object({
  id: z.string(),
  type: z.string(),
  occurredAt: z.string(),
  data: z.record(z.string(), z.unknown()),
});

export const items = <T extends z.ZodType>(t: T) => z.object({ items: z.array(t) });

/** Query numbers arrive as strings. */
export const limit = (def: number, max: number) => z.coerce.number().int().min(1).max(max).default(def);
