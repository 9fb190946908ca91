import { CameraRole, DetectionZone, ManagedCamera, SOURCE_KINDS, SessionDefinition, Severity, counts } from "@persona/contracts";
import { CheckInCounters, ExamSummary, PersonRate as PersonRateData } from "@persona/sessions";
import { z } from "zod";
import { AlertRules, CameraRules, Rule, Schedule } from "../alerts/rules.ts";
import { ErrorBody } from "./errors.ts";

/**
 * The API's JSON shapes (services/portal/API.md), the source of the OpenAPI document. A shape registered in
 * `components` with `named` is `components.schemas.<name>` there (and referenced by `$ref` wherever an answer uses
 * it), and so one exported type of the console's `web/src/api.gen.ts` (scripts/gen-web-types.ts).
 */

export const components = z.registry<{ id: string; description?: string }>();

/** Registers `schema` as `components.schemas.<id>`. */
function named<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  components.add(schema, description === undefined ? { id } : { id, description });
  return schema;
}

// shapes defined elsewhere that answers use
named("Severity", Severity);
named("CameraRole", CameraRole);
named("DetectionZone", DetectionZone, "A detection zone: a rectangle in fractions of the frame (0..1).");
named(
  "ErrorBody",
  ErrorBody,
  "Every error answer: `code` is stable (e.g. validation, not-found, csrf), `message` is for people.",
);
named("AlertRules", AlertRules, "The alert rules (GET/PUT /rules): camera roles and schedules, and the rules.");
named("CameraRules", CameraRules);
named("Schedule", Schedule);
named("AlertRule", Rule);

export const Role = named("Role", z.enum(["admin", "operator", "viewer"]));
export const User = named("User", z.object({ username: z.string(), role: Role }));
export const UserRow = named("UserRow", User.extend({ createdAt: z.string() }));
export const ApiKey = named(
  "ApiKey",
  z.object({
    id: z.string(),
    name: z.string(),
    /** Not secret: the key's first characters, to tell keys apart. */
    prefix: z.string(),
    role: Role,
    createdAt: z.string(),
    createdBy: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    revokedBy: z.string().nullable(),
  }),
  "An API key as listed (never the key itself).",
);
export const CreatedApiKey = named(
  "CreatedApiKey",
  z.object({ apiKey: ApiKey, key: z.string() }),
  "A new API key: `key` is the secret, answered this once and never again (the portal keeps only its sha256).",
);
export const ApiKeyUse = named(
  "ApiKeyUse",
  z.object({ at: z.string(), method: z.string(), path: z.string(), status: z.number().int(), ip: z.string() }),
  "One request made with an API key (audit).",
);
export const Me = named("Me", z.object({ user: User, csrfToken: z.string() }));

export const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "an id: letters, digits, '_' or '-'");

export const Person = named(
  "Person",
  z.object({
    personId: z.string(),
    name: z.string(),
    description: z.string(),
    photoKeys: z.array(z.string()),
    soundKey: z.string().nullable(),
    templates: z.number().int(),
    watchlist: z.object({ reason: z.string() }).nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  }),
);
export const Template = named(
  "Template",
  z.object({
    id: z.string(),
    origin: z.string(),
    photoKey: z.string().nullable(),
    quality: z.number(),
    addedAt: z.string(),
  }),
);
export const TrackConclusion = named(
  "TrackConclusion",
  z.object({
    /** recognized: the track's vote named `personId`; unknown: a stranger; undecided: too little to tell. */
    outcome: z.enum(["recognized", "unknown", "undecided"]),
    personId: z.string().nullable(),
    /** The person's current name (recognized). */
    name: z.string().nullable(),
    /** recognized: the track's similarity; unknown: how close the nearest person came; undecided: null. */
    score: z.number().nullable(),
    endedAt: z.string(),
  }),
);
export const Sighting = named(
  "Sighting",
  z.object({
    id: z.string(),
    cameraId: z.string(),
    trackId: z.string(),
    personId: z.string().nullable(),
    name: z.string().nullable(),
    decision: z.enum(["recognized", "unknown"]),
    /**
     * The recognizer's decision on this shot: "confirmed" (passed the naming threshold and the track vote),
     * "probable" (only the looser threshold) or "unknown" (nobody close enough).
     */
    recognition: z.enum(["confirmed", "probable", "unknown"]),
    /** How the recognizer concluded the shot's track once it ended; null while the track goes on (or not yet known). */
    concluded: TrackConclusion.nullable(),
    /** Cosine similarity to the closest enrolled face (for an unknown face: how close the nearest person came). */
    score: z.number(),
    at: z.string(),
    cropKey: z.string().nullable(),
  }),
);
export const PhotoOutcome = named(
  "PhotoOutcome",
  z.object({
    file: z.string(),
    outcome: z.enum(["added", "rejected"]),
    reason: z.object({ code: z.string(), message: z.string() }).optional(),
    /** Object key of the stored photo (GET /api/v1/media/photos/<key>), when it was stored. */
    photoKey: z.string().nullable().optional(),
  }),
);
export const EnrollResult = named(
  "EnrollResult",
  z.object({ personId: z.string(), enrolled: z.boolean(), photos: z.array(PhotoOutcome) }),
);

export const PresenceItem = named(
  "PresenceItem",
  z.object({
    cameraId: z.string(),
    personId: z.string().nullable(),
    name: z.string().nullable(),
    trackId: z.string(),
    since: z.string(),
    lastSeen: z.string(),
  }),
);

export const AlertStatusApi = named("AlertStatus", z.enum(["open", "acknowledged", "resolved"]));
export const Alert = named(
  "Alert",
  z.object({
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
  }),
);

export const Camera = named(
  "Camera",
  z.object({
    cameraId: z.string(),
    name: z.string(),
    /** The camera's state: from its camera service's fresh report, else its last status event; "not reporting" when
     * the report is stale (its camera service is gone), "disabled" when switched off in the console. */
    status: z.string(),
    role: CameraRole.nullable(),
    lastChangeAt: z.string().nullable(),
    /** "bootstrap": from a camera service's CAMERAS; "managed": added or changed in the console; null: only seen on the
     * bus (its service reports no health). */
    origin: z.enum(["bootstrap", "managed"]).nullable(),
    /** Stored in the console (editable, removable). A bootstrap camera can be edited (an override) but not removed. */
    managed: z.boolean(),
    enabled: z.boolean(),
    kind: z.enum(SOURCE_KINDS).nullable(),
    /** Admins only, credentials replaced by ***; null for others. */
    source: z.string().nullable(),
    group: z.string().nullable(),
    detectFps: z.number().nullable(),
    zone: DetectionZone.nullable(),
    loop: z.boolean().nullable(),
    /** Whether the portal can show its live view (GET /cameras/{cameraId}/live). */
    hasLiveView: z.boolean(),
    health: z
      .object({
        fps: z.number(),
        framesProcessed: z.number(),
        lastFrameAt: z.string().nullable(),
        lastError: z.string().nullable(),
        lastErrorAt: z.string().nullable(),
        reconnects: z.number(),
        message: z.string(),
        reporter: z.string(),
        updatedAt: z.string(),
        stale: z.boolean(),
      })
      .nullable(),
  }),
);

const Rates = z
  .object({
    /** Enrolled people's photos named correctly. */
    dir: z.number(),
    /** Enrolled people's photos named as someone else. */
    wrong: z.number(),
    /** Strangers named as someone (false positive identification rate). */
    fpir: z.number(),
  })
  .nullable();
const ThresholdValue = named(
  "ThresholdValue",
  z.object({ threshold: z.number(), minMargin: z.number(), rates: Rates }),
  "A naming threshold and margin, with the rates measured there (null outside the measured range).",
);

/** A model's naming threshold in one embedding mode: tuned, set by an admin, and the measured rates of each. */
export const ModelThreshold = named(
  "ModelThreshold",
  z.object({
    model: z.string(),
    mode: z.enum(["single", "flip"]),
    /** The model and mode recognizers run when RECOGNIZER_MODEL / RECOGNIZER_FLIP are not set. */
    recognizerDefault: z.boolean(),
    tuned: ThresholdValue,
    override: z
      .object({ nameThreshold: z.number(), minMargin: z.number().optional(), updatedAt: z.string(), updatedBy: z.string() })
      .nullable(),
    /** What the recognizers use now (the override, else the tuned value); rates null when outside the measured range
     * or with another margin than the measured one. */
    effective: ThresholdValue,
    calibration: z.object({
      protocol: z.string(),
      command: z.string(),
      detector: z.string(),
      measuredAt: z.string(),
      minMargin: z.number(),
      points: z.array(z.object({ threshold: z.number(), dir: z.number(), wrong: z.number(), fpir: z.number() })),
    }),
  }),
);

/** A camera as an admin adds it (POST /cameras). */
export const NewCamera = named(
  "NewCamera",
  ManagedCamera.omit({ updatedAt: true, updatedBy: true }).extend({
    source: z.string().trim().min(1).max(2048),
    role: CameraRole,
  }),
);

/** What an admin may change (PATCH /cameras/{cameraId}); `zone: null` clears the zone. The source of a bootstrap
 * camera is its camera service's (CAMERAS): only managed cameras take source, kind, loop, realtime and group. */
export const CameraChange = named(
  "CameraChange",
  ManagedCamera.omit({ id: true, updatedAt: true, updatedBy: true })
    .partial()
    .refine((c) => Object.keys(c).length > 0, "nothing to change"),
);

export const AttendanceRow = named(
  "AttendanceRow",
  z.object({
    personId: z.string(),
    name: z.string(),
    day: z.string(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    secondsInView: z.number(),
  }),
);

export const SystemStatus = named(
  "SystemStatus",
  z.object({
    services: z.array(z.object({ name: z.string(), ready: z.boolean(), detail: z.string() })),
    consumers: z.array(
      z.object({ stream: z.string(), name: z.string(), pending: z.number(), ackPending: z.number(), redelivered: z.number() }),
    ),
    /** null while NATS does not answer (then `natsError` says why and `consumers` is empty). */
    deadLetters: z.number().nullable(),
    natsError: z.string().nullable(),
    /** Every service replica's /readyz (PORTAL_SERVICE_HEALTH_URLS): one that does not answer is `reachable: false`. */
    replicas: z.array(
      z.object({
        service: z.string(),
        url: z.string(),
        reachable: z.boolean(),
        ready: z.boolean(),
        checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() })),
        error: z.string().nullable(),
      }),
    ),
    /**
     * The cameras: state from their last CameraStatusChanged; `fps` (frames processed per second since the previous
     * GET /system, from the camera services' /metrics) null until two readings; `metricsState` the source state the
     * camera service's metrics report.
     */
    cameras: z.array(
      z.object({
        cameraId: z.string(),
        status: z.string(),
        role: z.string().nullable(),
        lastChangeAt: z.string().nullable(),
        message: z.string(),
        fps: z.number().nullable(),
        framesProcessed: z.number().nullable(),
        metricsState: z.string().nullable(),
      }),
    ),
    /** Each recognizer replica's messages handled (its /metrics), and per second since the previous GET /system. */
    recognizers: z.array(
      z.object({ url: z.string(), reachable: z.boolean(), handled: z.number().nullable(), perSecond: z.number().nullable() }),
    ),
    /** The document store's size: the SQLite database's pages or MongoDB's storage + index sizes. */
    storage: z.object({ kind: z.string(), bytes: z.number().nullable(), error: z.string().nullable() }),
  }),
);

export const VisitorStatusApi = named("VisitorStatus", z.enum(["open", "named", "ignored"]));
/** One of a visitor's best faces; `cropKey` under GET /api/v1/media/crops/<key>. */
export const VisitorCrop = named(
  "VisitorCrop",
  z.object({
    detectionId: z.string(),
    cameraId: z.string(),
    trackId: z.string(),
    quality: z.number(),
    seenAt: z.string(),
    cropKey: z.string().nullable(),
  }),
);
/** An operator's decision about a visitor (named or ignored), or the one it inherited from a visitor it absorbed. */
export const VisitorDecision = named(
  "VisitorDecision",
  z.object({
    kind: z.enum(["named", "ignored"]),
    by: z.string(),
    at: z.string(),
    reason: z.string().nullable(),
    personId: z.string().nullable(),
    personName: z.string().nullable(),
    existing: z.boolean().nullable(),
    inheritedFrom: z.string().nullable(),
  }),
);
/** A recurring unknown face (the trainer's cluster), as GET /api/v1/visitors shows it. */
export const Visitor = named(
  "Visitor",
  z.object({
    visitorId: z.string(),
    status: VisitorStatusApi,
    faces: z.number().int(),
    visits: z.number().int(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    cameras: z.array(z.string()),
    /** The best faces by quality, best first. */
    bestCrops: z.array(VisitorCrop),
    /** Visitors merged into this one. */
    absorbed: z.array(z.string()),
    decision: VisitorDecision.nullable(),
    clusteredAt: z.string(),
    updatedAt: z.string(),
  }),
);
/** How an unknown track or visitor was closed: enrolled (its face enrolled or assigned to a person), named, ignored. */
export const UnknownResolution = named(
  "UnknownResolution",
  z.object({
    kind: z.enum(["enrolled", "named", "ignored"]),
    /** enrolled / named: the person (null for ignored). */
    personId: z.string().nullable(),
    name: z.string().nullable(),
    by: z.string(),
    at: z.string(),
  }),
);
/** One unknown track (a camera pass of one face) as GET /unknowns lists it: its best shot and how many there were. */
export const UnknownTrack = named(
  "UnknownTrack",
  z.object({
    /** `<cameraId>/<trackId>`. */
    trackKey: z.string(),
    cameraId: z.string(),
    trackId: z.string(),
    shots: z.number().int(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    /** The best shot by quality: enroll or assign it with POST /unknowns/<sightingId>/enroll or /assign. */
    best: z.object({ sightingId: z.string(), quality: z.number(), at: z.string(), cropKey: z.string().nullable() }),
    /** The nearest person any shot came to; null when there was none (e.g. an empty library). */
    nearest: z.object({ personId: z.string(), name: z.string().nullable(), score: z.number() }).nullable(),
    /** The recognizer's conclusion of the track, once it ended. */
    concluded: z.object({ outcome: z.enum(["recognized", "unknown", "undecided"]), endedAt: z.string() }).nullable(),
    /** The visitor the trainer clustered the track into (see `visitors`), or null. */
    visitorId: z.string().nullable(),
    status: z.enum(["open", "closed"]),
    /** Why it is closed: its own enrollment, else its visitor's. */
    resolution: UnknownResolution.nullable(),
  }),
);
/** A visitor the listed tracks belong to; `enrolled`: open on the trainer's side, but one of its tracks was enrolled. */
export const UnknownVisitor = named(
  "UnknownVisitor",
  z.object({
    visitorId: z.string(),
    status: z.enum(["open", "named", "ignored", "enrolled"]),
    faces: z.number().int(),
    visits: z.number().int(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    cameras: z.array(z.string()),
    resolution: UnknownResolution.nullable(),
  }),
);
export const UnknownsPage = named(
  "UnknownsPage",
  z.object({
    items: z.array(UnknownTrack),
    /** The visitors of the listed tracks (`visitorId`), each once. */
    visitors: z.array(UnknownVisitor),
    /** Pass as `cursor` for the next page; null at the end. */
    next: z.number().int().nullable(),
  }),
);
/** An event a request published (202 answers). */
export const Published = named(
  "Published",
  z.object({
    id: z.string(),
    type: z.string(),
    occurredAt: z.string(),
    data: z.record(z.string(), z.unknown()),
  }),
);

// ---------------------------------------------------------------- live push (socket.io, src/live/push.ts)

/*
 * What socket.io pushes: per event name, a view the REST API also answers (never a bus envelope: no embeddings, no
 * inline crops, no internal fields). The live push validates every payload against its schema before emitting it.
 */

export const LiveSighting = named(
  "LiveSighting",
  Sighting.and(
    z.object({
      /** A recognition that passed only the looser naming threshold (`recognition` "probable"; kept for older consoles). */
      probable: z.boolean(),
    }),
  ),
  "`sighting`: a recognized or unknown face as GET /sightings lists it (`name` is the name the recognizer gave), sent once the sightings projection holds it (so `cropKey` resolves); sent again for each shot of a track once the track is concluded (`concluded` set, `name` the current one).",
);
export const LivePresence = named(
  "LivePresence",
  z.object({ cameraId: z.string(), items: z.array(PresenceItem) }),
  "`presence`: who is in view at one camera now, as GET /presence lists them, sent once the presence projection applied a sighting there.",
);
export const LiveVisitor = named(
  "LiveVisitor",
  z.object({
    visitorId: z.string(),
    /** The visitor as GET /visitors/:visitorId shows it now (for an absorbed visitor: its survivor); null when unknown. */
    visitor: Visitor.nullable(),
    /** Visitors no longer listed: a merge absorbed them. */
    removed: z.array(z.string()),
  }),
  "`visitor`: a visitor changed (clustered, updated, named, ignored), sent once the visitors projection applied it.",
);
export const LiveAlert = named(
  "LiveAlert",
  z.object({ change: z.enum(["raised", "acknowledged", "resolved"]), alert: Alert }),
  "`alert`: an alert was raised, acknowledged or resolved; `alert` as GET /alerts shows it once the alerts projection applied the change.",
);
export const LivePerson = named(
  "LivePerson",
  z.object({
    personId: z.string(),
    change: z.enum(["enrolled", "updated", "removed"]),
    /** The person as GET /people/:personId shows it; null once removed. */
    person: Person.nullable(),
  }),
  "`person`: a person of the library was enrolled, changed or removed, sent once the people projection applied it.",
);
export const LiveCamera = named(
  "LiveCamera",
  Camera.pick({ cameraId: true, status: true, role: true, lastChangeAt: true }),
  "`camera`: a camera's status changed; the fields of GET /cameras that change with it (`role` is the one the camera announces).",
);
export const LiveGreeting = named(
  "LiveGreeting",
  z.object({
    personId: z.string(),
    name: z.string(),
    cameraId: z.string(),
    /** The greeting sound, as Person.soundKey (GET /api/v1/media/sounds/<key>); null when the default was played. */
    soundKey: z.string().nullable(),
  }),
  "`greeting`: a greeter played a person's greeting.",
);
export const LiveAttendance = named(
  "LiveAttendance",
  z.object({ personId: z.string(), items: z.array(AttendanceRow) }),
  "`attendance`: a person's attendance rows (as GET /attendance?personId= lists them) on the days a concluded track touched, sent once the attendance projection applied it.",
);

export const IdentifyMatch = named(
  "IdentifyMatch",
  z.object({ personId: z.string(), name: z.string(), similarity: z.number() }),
  "One enrolled person for a searched face: their best template's cosine similarity.",
);
export const IdentifyDecision = named(
  "IdentifyDecision",
  z.enum(["named", "probable", "unknown"]),
  "What the recognizers would decide for the face seen once (a track of one shot): named at the single-shot threshold, probable at the verification threshold (both with the margin over the next person), else unknown.",
);
export const IdentifiedFace = named(
  "IdentifiedFace",
  z.object({
    box: z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() }),
    /** Detector confidence. */
    score: z.number(),
    /** Face quality; `gate` says why a camera would not send the face to the recognizers (null: it would). */
    quality: z.object({ score: z.number(), gate: z.string().nullable() }),
    /** The best people, most similar first. */
    matches: z.array(IdentifyMatch),
    decision: IdentifyDecision,
    /** The decided person (named or probable), else null. */
    personId: z.string().nullable(),
    name: z.string().nullable(),
    /** The best person's similarity and lead over the next (null with an empty library). */
    similarity: z.number().nullable(),
    margin: z.number().nullable(),
  }),
);
export const IdentifyResult = named(
  "IdentifyResult",
  z.object({
    /** The decoded photo's size (EXIF-rotated), the boxes' coordinate space. */
    width: z.number().int(),
    height: z.number().int(),
    faces: z.array(IdentifiedFace),
    /** "yunet" or "blazeface". */
    detector: z.string(),
    /** The templates' model, as the library records it ("fr_feature+flip"). */
    model: z.string(),
    thresholds: z.object({ name: z.number(), probable: z.number(), singleShot: z.number(), minMargin: z.number() }),
    gallery: z.object({ people: z.number().int(), templates: z.number().int() }),
    /** Decoding, detection, embedding and matching time. */
    ms: z.number(),
  }),
  "POST /identify: every face of the photo with its best matches and the recognizers' decision.",
);

// ---------------------------------------------------------------- sessions (#17): groups, sessions, attendance

const Iso = z.string();
export const SessionGroup = named(
  "SessionGroup",
  z.object({
    groupId: z.string(),
    name: z.string(),
    kind: z.enum(["course", "staff", "guests", "other"]).nullable(),
    members: z.array(z.object({ personId: z.string(), name: z.string().nullable() })),
    /** Live sessions whose roster names the group. */
    sessions: z.array(z.string()),
  }),
  "A group of people (a course, staff, an event's guests) as GET /groups lists it.",
);
export const Session = named(
  "Session",
  SessionDefinition.extend({
    sessionId: z.string(),
    owner: z.string(),
    cancelled: z.boolean(),
    cancelledDates: z.array(z.string()),
  }),
  "A session: a class, an exam or an event, once or weekly, with its cameras and roster (times local to `timeZone`).",
);
const OccurrenceCounts = named(
  "OccurrenceCounts",
  counts("expected", "present", "late", "absent", "notYetSeen", "excused", "unexpected", "probableOnly", "unknown"),
  "How many people of an occurrence are in each state, and its unknown faces.",
);
/** What every answer about one occurrence says first. */
const OccurrenceHead = named(
  "OccurrenceHead",
  z.object({
    occurrenceId: z.string(),
    sessionId: z.string(),
    name: z.string(),
    date: z.string(),
    kind: z.enum(["class", "exam", "event"]),
    startAt: Iso,
    endAt: Iso,
    phase: z.enum(["upcoming", "running", "ended"]),
    /** Its start is recorded (OccurrenceStarted): the roster is fixed. */
    started: z.boolean(),
  }),
  "What every answer about one occurrence says first.",
);
export const SessionOccurrence = named(
  "SessionOccurrence",
  OccurrenceHead.and(
    z.object({
      /** The start or end fell in a daylight-saving gap and moved to its end. */
      shifted: z.boolean(),
      /** Counts when the occurrence has a fold (something was seen or corrected, or it started), else null. */
      counts: OccurrenceCounts.nullable(),
    }),
  ),

  "One occurrence of a session (the session on one local date).",
);
export const AttendancePerson = named(
  "AttendancePerson",
  z.object({
    personId: z.string(),
    name: z.string().nullable(),
    status: z.enum(["present", "late", "absent", "not-yet-seen", "excused"]),
    onRoster: z.boolean(),
    /** The first frame of their earliest confirmed track. */
    firstSeenAt: Iso.nullable(),
    score: z.number().nullable(),
    trackId: z.string().nullable(),
    cameraId: z.string().nullable(),
    /** The best capture: GET /media/crops/<cropKey>. */
    cropKey: z.string().nullable(),
    /** The enrolled photo: GET /media/photos/<photoKey>. */
    photoKey: z.string().nullable(),
    tracks: z.number().int(),
    probableOnly: z.boolean(),
    manual: z.object({ action: z.enum(["mark-present", "excuse"]), by: z.string(), at: Iso }).nullable(),
  }),
  "A person in an occurrence, with the evidence beside the enrolled photo.",
);
export const SessionUnknownTrack = named(
  "SessionUnknownTrack",
  z.object({
    trackId: z.string(),
    cameraId: z.string(),
    firstSeenAt: Iso,
    lastSeenAt: Iso,
    score: z.number(),
    cropKey: z.string().nullable(),
  }),
);
export const OccurrenceView = named(
  "OccurrenceView",
  OccurrenceHead.and(
    z.object({
      /** Arrivals at or before this instant are on time. */
      lateAfter: Iso,
      /** The instant the view is for (the portal's clock). */
      at: Iso,
      expected: z.array(z.string()),
      counts: OccurrenceCounts,
      present: z.array(AttendancePerson),
      late: z.array(AttendancePerson),
      absent: z.array(AttendancePerson),
      notYetSeen: z.array(AttendancePerson),
      excused: z.array(AttendancePerson),
      unexpected: z.array(AttendancePerson),
      probableOnly: z.array(AttendancePerson),
      unknown: z.array(SessionUnknownTrack),
      corrections: z.array(
        z.object({
          personId: z.string(),
          action: z.enum(["mark-present", "excuse", "reject-recognition"]),
          trackId: z.string().nullable(),
          by: z.string(),
          at: Iso,
          reason: z.string().nullable(),
        }),
      ),
      negatives: z.array(z.object({ personId: z.string(), trackId: z.string(), by: z.string(), at: Iso })),
    }),
  ),

  "The live view of an occurrence: expected, present, late, absent (once ended), excused, unexpected, probable only, unknown faces.",
);
export const ExamCheck = named(
  "ExamCheck",
  z.object({
    personId: z.string(),
    name: z.string().nullable(),
    trackId: z.string(),
    cameraId: z.string(),
    firstSeenAt: Iso,
    confirmed: z.boolean(),
    score: z.number(),
    cropKey: z.string().nullable(),
    photoKey: z.string().nullable(),
    onRoster: z.boolean(),
    verdict: z.enum(["pending", "confirmed", "flagged"]),
    verdictBy: z.string().nullable(),
  }),
  "A recognition at an exam waiting for (or with) a proctor's verdict, the capture beside the enrolled photo.",
);
export const ExamReport = named(
  "ExamReport",
  z.object({
    occurrenceId: z.string(),
    sessionId: z.string(),
    date: z.string(),
    startAt: Iso,
    endAt: Iso,
    at: Iso,
    candidates: z.array(
      z.object({
        personId: z.string(),
        name: z.string().nullable(),
        photoKey: z.string().nullable(),
        onRoster: z.boolean(),
        status: z.enum(["present", "late", "absent", "not-yet-seen", "excused"]),
        firstSeenAt: Iso.nullable(),
        evidence: z.array(ExamCheck),
        verified: z.boolean(),
        flagged: z.boolean(),
        /** The other exam occurrences they were seen in at the same time. */
        elsewhere: z.array(z.object({ occurrenceId: z.string(), cameraId: z.string(), at: Iso })),
      }),
    ),
    alerts: z.array(
      z.object({
        kind: z.enum(["unknown-face", "not-on-roster"]),
        personId: z.string().nullable(),
        trackId: z.string(),
        cameraId: z.string(),
        at: Iso,
        score: z.number(),
        cropKey: z.string().nullable(),
      }),
    ),
    unknownTracks: z.number().int(),
    summary: ExamSummary,
  }),
  "The end-of-exam identity report: every candidate with the evidence and verdicts, the alerts.",
);
const CheckIn = named(
  "CheckIn",
  z.object({
    personId: z.string(),
    name: z.string().nullable(),
    at: Iso.nullable(),
    cameraId: z.string().nullable(),
    score: z.number().nullable(),
    registered: z.boolean(),
    manual: z.boolean(),
  }),
  "A person checked in at an event (a registered guest or a walk-in): when, at which camera, how sure.",
);
export const CheckInView = named(
  "CheckInView",
  z.object({
    occurrenceId: z.string(),
    counters: CheckInCounters,
    checkedIn: z.array(CheckIn),
    waiting: z.array(z.object({ personId: z.string(), name: z.string().nullable() })),
    walkIns: z.array(CheckIn),
    /** Unknown faces, offered for quick enrollment as guests (GET /unknowns has their tracks). */
    unknown: z.array(SessionUnknownTrack),
  }),
  "An event's check-in desk: counters, who checked in, who is awaited, walk-ins.",
);
export const RosterImport = named(
  "RosterImport",
  z.object({
    dryRun: z.boolean(),
    /** The memberships were appended (false for a dry run or any error). */
    applied: z.boolean(),
    separator: z.enum([",", ";"]),
    lines: z.array(
      z.object({
        line: z.number().int(),
        person: z.string(),
        group: z.string(),
        outcome: z.enum(["add", "already-member", "duplicate", "header", "error"]),
        personId: z.string().nullable(),
        groupId: z.string().nullable(),
        message: z.string().nullable(),
      }),
    ),
    errors: z.array(z.object({ line: z.number().int(), message: z.string() })),
    warnings: z.array(z.object({ line: z.number().int(), message: z.string() })),
    groupsCreated: z.array(z.object({ groupId: z.string(), name: z.string() })),
    summary: counts("lines", "add", "alreadyMember", "duplicate", "errors"),
  }),
  "POST /groups/import: what a CSV roster adds, line by line; all or nothing.",
);
export const PersonRate = named(
  "PersonRate",
  z.object({ personId: z.string(), name: z.string().nullable(), ...PersonRateData.omit({ personId: true }).shape }),
);
export const AttendanceRates = named(
  "AttendanceRates",
  z.object({
    /** The session (a series) or the group the rates are for. */
    sessionId: z.string().nullable(),
    groupId: z.string().nullable(),
    from: z.string(),
    to: z.string(),
    threshold: z.number(),
    /** Ended occurrences counted. */
    occurrences: z.number().int(),
    meanRate: z.number().nullable(),
    below: z.array(z.string()),
    items: z.array(PersonRate),
  }),
  "Attendance rates per person over ended occurrences (late counts as attended; excused ones leave the denominator).",
);
export const LiveSession = named(
  "LiveSession",
  z.object({ occurrenceId: z.string(), view: OccurrenceView }),
  "Pushed (`session`) when an occurrence's view changed: the view as GET /sessions/{id}/occurrences/{date} answers.",
);

/** socket.io event name -> payload (the `x-live-events` of the OpenAPI document). */
export const LIVE_EVENTS = {
  sighting: LiveSighting,
  presence: LivePresence,
  visitor: LiveVisitor,
  alert: LiveAlert,
  person: LivePerson,
  camera: LiveCamera,
  greeting: LiveGreeting,
  attendance: LiveAttendance,
  session: LiveSession,
} as const;
export type LiveEventName = keyof typeof LIVE_EVENTS;
export type LivePayload<E extends LiveEventName> = z.output<(typeof LIVE_EVENTS)[E]>;

export const items = <T extends z.ZodType>(t: T) => z.object({ items: z.array(t) });

/** Query numbers arrive as strings. */
export const limit = (def: number, max: number) => z.coerce.number().int().min(1).max(max).default(def);
