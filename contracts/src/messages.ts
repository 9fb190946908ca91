import { z } from "zod";
import {
  BlobRef,
  Box,
  CameraId,
  CameraRole,
  Embedding,
  FaceQuality,
  ImageRef,
  IsoTime,
  Keypoints,
  PersonId,
  PersonName,
  Severity,
  TrackId,
} from "./common.ts";
import { envelopeOf } from "./envelope.ts";
import {
  AttendanceCorrectedData,
  ExamCheckRecordedData,
  GroupCreatedData,
  GroupDeletedData,
  GroupMembersChangedData,
  GroupRenamedData,
  OccurrenceEndedData,
  OccurrenceStartedData,
  RecognitionRejectedData,
  SessionCancelledData,
  SessionChangedData,
  SessionScheduledData,
} from "./sessions.ts";

/**
 * Every message type: its name (past tense for events, imperative for commands), version, data schema,
 * the stream it lives on and how its subject is derived from its data.
 */
export interface MessageDef<TType extends string, TVersion extends number, TData extends z.ZodType> {
  type: TType;
  version: TVersion;
  kind: "event" | "command";
  stream: StreamName;
  data: TData;
  envelope: ReturnType<typeof envelopeOf<TType, TVersion, TData>>;
  subject(data: z.infer<TData>): string;
  /** Subject filter that matches every message of this type (for consumers). */
  filter: string;
}

export type StreamName =
  | "DETECTIONS"
  | "SIGHTINGS"
  | "LIBRARY"
  | "SESSIONS"
  | "COMMANDS"
  | "ALERTS"
  | "MODELS"
  | "SYSTEM"
  | "DEADLETTER";

function define<TType extends string, TVersion extends number, TData extends z.ZodType>(def: {
  type: TType;
  version: TVersion;
  kind?: "event" | "command";
  stream: StreamName;
  data: TData;
  subject: (data: z.infer<TData>) => string;
  filter: string;
}): MessageDef<TType, TVersion, TData> {
  return { kind: "event", ...def, envelope: envelopeOf(def.type, def.version, def.data) };
}

// ---------------------------------------------------------------- detections (camera -> recognizers)

/**
 * How a chip was aligned: from the detector's four keypoints (eyes, nose, mouth centre), from five (YuNet's, with
 * both mouth corners, onto a template that has them) or from the 68-point landmark net.
 */
export const ChipAlignment = z.enum(["keypoints", "keypoints5", "landmarks68"]);
export type ChipAlignment = z.infer<typeof ChipAlignment>;

export const FaceDetected = define({
  type: "FaceDetected",
  version: 1,
  stream: "DETECTIONS",
  data: z.object({
    cameraId: CameraId,
    trackId: TrackId,
    /** 1 for a track's first best shot, then 2, 3, ... */
    shot: z.number().int().positive(),
    frameNo: z.number().int().nonnegative(),
    /** When the frame was captured (wall clock of the camera service). */
    frameAt: IsoTime,
    frameSize: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }),
    box: Box,
    keypoints: Keypoints,
    detectorScore: z.number().min(0).max(1),
    quality: FaceQuality,
    /** The aligned face chip as JPEG. */
    crop: ImageRef,
    /**
     * How the chip was aligned: from the detector's keypoints or the 68-point landmark net (ALIGN_LANDMARKS).
     * Recognizers align enrollment photos their own way and count chips aligned otherwise (optional: added after v1).
     */
    alignment: ChipAlignment.optional(),
  }),
  subject: (d) => `detections.${d.cameraId}.face`,
  filter: "detections.*.face",
});

export const FaceTrackEnded = define({
  type: "FaceTrackEnded",
  version: 1,
  stream: "DETECTIONS",
  data: z.object({
    cameraId: CameraId,
    trackId: TrackId,
    startedAt: IsoTime,
    endedAt: IsoTime,
    frames: z.number().int().nonnegative(),
    shots: z.number().int().nonnegative(),
    bestQuality: z.number().min(0).max(1),
    /** "scene-cut": the picture changed at once (another scene), so the face in view is not the one followed. */
    reason: z.enum(["left-view", "source-ended", "camera-stopped", "scene-cut"]),
  }),
  subject: (d) => `detections.${d.cameraId}.track-ended`,
  filter: "detections.*.track-ended",
});

// ---------------------------------------------------------------- sightings (recognizers -> everyone)

const Via = z.enum(["embedding", "classifier"]);

export const FaceRecognized = define({
  type: "FaceRecognized",
  version: 1,
  stream: "SIGHTINGS",
  data: z.object({
    cameraId: CameraId,
    trackId: TrackId,
    detectionId: z.uuid(),
    personId: PersonId,
    personName: z.string(),
    similarity: z.number(),
    margin: z.number(),
    /** "confirmed" passed the naming threshold and the track vote; "probable" only the looser one. */
    decision: z.enum(["confirmed", "probable"]),
    votes: z.object({ agreeing: z.number().int().nonnegative(), total: z.number().int().positive() }),
    quality: FaceQuality,
    frameAt: IsoTime,
    crop: ImageRef,
    via: Via,
  }),
  subject: (d) => `sightings.${d.cameraId}.recognized`,
  filter: "sightings.*.recognized",
});

export const UnknownFaceSeen = define({
  type: "UnknownFaceSeen",
  version: 1,
  stream: "SIGHTINGS",
  data: z.object({
    cameraId: CameraId,
    trackId: TrackId,
    detectionId: z.uuid(),
    bestSimilarity: z.number(),
    bestPersonId: PersonId.nullable(),
    quality: FaceQuality,
    frameAt: IsoTime,
    crop: ImageRef,
    embedding: Embedding,
  }),
  subject: (d) => `sightings.${d.cameraId}.unknown`,
  filter: "sightings.*.unknown",
});

/** The vote over a whole track, published when the camera says the track ended. */
export const TrackConcluded = define({
  type: "TrackConcluded",
  version: 1,
  stream: "SIGHTINGS",
  data: z.object({
    cameraId: CameraId,
    trackId: TrackId,
    startedAt: IsoTime,
    endedAt: IsoTime,
    frames: z.number().int().nonnegative(),
    shots: z.number().int().nonnegative(),
    bestQuality: z.number().min(0).max(1),
    outcome: z.discriminatedUnion("kind", [
      z.object({ kind: z.literal("recognized"), personId: PersonId, personName: z.string(), similarity: z.number() }),
      z.object({ kind: z.literal("unknown"), bestSimilarity: z.number() }),
      z.object({ kind: z.literal("undecided"), reason: z.string() }),
    ]),
  }),
  subject: (d) => `sightings.${d.cameraId}.concluded`,
  filter: "sightings.*.concluded",
});

// ---------------------------------------------------------------- visitors (the trainer's clusters of unknown faces)

/** A recurring unknown face: a cluster of UnknownFaceSeen embeddings (services/trainer/src/visitors). */
const VisitorSummary = z.object({
  visitorId: z.uuid(),
  /** Unknown faces in the cluster. */
  faces: z.number().int().positive(),
  /** Distinct tracks (camera passes) among them. */
  visits: z.number().int().positive(),
  firstSeen: IsoTime,
  lastSeen: IsoTime,
  cameras: z.array(CameraId),
  /** The best faces by quality, best first. */
  bestCrops: z
    .array(
      z.object({
        detectionId: z.uuid(),
        cameraId: CameraId,
        trackId: TrackId,
        quality: z.number().min(0).max(1),
        seenAt: IsoTime,
        crop: ImageRef,
        /**
         * The face's embedding (added after v1's first release, so optional): lets consumers recognise the visitor
         * again without the trainer, e.g. the portal's alert rules skip faces of an ignored visitor.
         */
        embedding: Embedding.optional(),
      }),
    )
    .max(8),
  /** Visitors merged into this one (their ids are no longer used). */
  absorbed: z.array(z.uuid()),
});

/** A cluster of unknown faces became a visitor. */
export const VisitorClustered = define({
  type: "VisitorClustered",
  version: 1,
  stream: "SIGHTINGS",
  data: VisitorSummary,
  subject: (d) => `sightings.visitors.${d.visitorId}.clustered`,
  filter: "sightings.visitors.*.clustered",
});

/** A visitor was seen again (more faces, visits, cameras, better crops) or absorbed another visitor. */
export const VisitorUpdated = define({
  type: "VisitorUpdated",
  version: 1,
  stream: "SIGHTINGS",
  data: VisitorSummary,
  subject: (d) => `sightings.visitors.${d.visitorId}.updated`,
  filter: "sightings.visitors.*.updated",
});

/** An operator named a visitor: its faces become templates of a new or an existing person. */
export const VisitorNamed = define({
  type: "VisitorNamed",
  version: 1,
  stream: "SIGHTINGS",
  data: z.object({
    visitorId: z.uuid(),
    personId: PersonId,
    /** true: add to an existing person; false: enroll a new person with this id and name. */
    existing: z.boolean(),
    name: z.string().min(1).max(200),
    /** A new person's description (added after v1's first release, so optional; ignored for an existing person). */
    description: z.string().max(1000).optional(),
    by: z.string(),
  }),
  subject: (d) => `sightings.visitors.${d.visitorId}.named`,
  filter: "sightings.visitors.*.named",
});

/** An operator ignored a visitor: no more alerts or reviews for it. */
export const VisitorIgnored = define({
  type: "VisitorIgnored",
  version: 1,
  stream: "SIGHTINGS",
  data: z.object({ visitorId: z.uuid(), by: z.string(), reason: z.string().max(1000) }),
  subject: (d) => `sightings.visitors.${d.visitorId}.ignored`,
  filter: "sightings.visitors.*.ignored",
});

// ---------------------------------------------------------------- the people library (event-sourced)

const EnrollmentSource = z.enum(["import", "portal", "bot", "cli", "visitor"]);

export const PersonEnrolled = define({
  type: "PersonEnrolled",
  version: 1,
  stream: "LIBRARY",
  data: z.object({
    personId: PersonId,
    name: z.string().min(1).max(200),
    description: z.string().max(1000),
    photos: z.array(BlobRef),
    sound: BlobRef.nullable(),
    source: EnrollmentSource,
    /** Stable key of an imported folder, so importing it again updates instead of duplicating. */
    importKey: z.string().nullable(),
  }),
  subject: (d) => `library.${d.personId}.enrolled`,
  filter: "library.*.enrolled",
});

export const PersonUpdated = define({
  type: "PersonUpdated",
  version: 1,
  stream: "LIBRARY",
  data: z.object({
    personId: PersonId,
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(1000).optional(),
    photos: z.array(BlobRef).optional(),
    sound: BlobRef.nullable().optional(),
    watchlist: z
      .object({ reason: z.string().min(1) })
      .nullable()
      .optional(),
    by: z.string(),
  }),
  subject: (d) => `library.${d.personId}.updated`,
  filter: "library.*.updated",
});

export const PersonRemoved = define({
  type: "PersonRemoved",
  version: 1,
  stream: "LIBRARY",
  data: z.object({ personId: PersonId, reason: z.string(), by: z.string() }),
  subject: (d) => `library.${d.personId}.removed`,
  filter: "library.*.removed",
});

export const FaceTemplateAdded = define({
  type: "FaceTemplateAdded",
  version: 1,
  stream: "LIBRARY",
  data: z.object({
    personId: PersonId,
    templateId: z.uuid(),
    embedding: Embedding,
    quality: FaceQuality,
    crop: ImageRef.nullable(),
    origin: z.discriminatedUnion("kind", [
      z.object({
        kind: z.literal("enrollment"),
        photo: BlobRef,
        /**
         * Which face of the photo was taken (optional: added after v1): its box in photo pixels, how many faces the
         * photo shows, and why this one ("only"; "largest": the others are much smaller, fail the quality gate or are
         * cut off; "only-passing": the one usable face, not the largest; "centred": the one of similar-sized faces
         * that covers the photo's centre).
         */
        face: z
          .object({
            box: Box,
            faces: z.number().int().positive(),
            why: z.enum(["only", "largest", "only-passing", "centred"]),
          })
          .optional(),
      }),
      z.object({
        kind: z.literal("self-learning"),
        cameraId: CameraId,
        trackId: TrackId,
        similarity: z.number(),
        margin: z.number(),
        seenAt: IsoTime,
        /** The FaceDetected the template was learned from (optional: added after v1 shipped). */
        detectionId: z.uuid().optional(),
      }),
      z.object({ kind: z.literal("operator"), by: z.string(), sightingId: z.string().optional() }),
    ]),
  }),
  subject: (d) => `library.${d.personId}.template-added`,
  filter: "library.*.template-added",
});

export const FaceTemplateReverted = define({
  type: "FaceTemplateReverted",
  version: 1,
  stream: "LIBRARY",
  data: z.object({ personId: PersonId, templateId: z.uuid(), by: z.string(), reason: z.string() }),
  subject: (d) => `library.${d.personId}.template-reverted`,
  filter: "library.*.template-reverted",
});

export const RejectionReason = z.enum([
  "bad-image",
  "no-face",
  "several-faces",
  "low-quality",
  "duplicate",
  /** The photo (its sha256) or its face (at the recognizer's naming threshold) belongs to another person. */
  "duplicate-of",
  "invalid-request",
  "unknown-person",
]);

export const EnrollmentRejected = define({
  type: "EnrollmentRejected",
  version: 1,
  stream: "LIBRARY",
  data: z.object({
    requestId: z.uuid(),
    personId: PersonId.nullable(),
    name: z.string(),
    reason: RejectionReason,
    message: z.string(),
    /** For "duplicate-of": whom the photo belongs to, and how (optional: added after v1). */
    duplicateOf: z
      .object({
        personId: PersonId,
        name: z.string(),
        /** The same photo file (sha256) is one of their templates. */
        samePhoto: z.boolean(),
        /** Cosine similarity of the face to their closest template (null for samePhoto). */
        similarity: z.number().nullable(),
      })
      .optional(),
  }),
  subject: (d) => `library.rejections.${d.requestId}`,
  filter: "library.rejections.*",
});

// ---------------------------------------------------------------- sessions (groups, sessions, attendance; issue #17)
// One subject per aggregate (a group, a session, an occurrence's corrections, an occurrence's start and end), so a
// writer appends with the expected last sequence of that one subject (optimistic concurrency on NATS 2.9).

const groupSubject = (d: { groupId: string }) => `sessions.group.${d.groupId}`;
const sessionSubject = (d: { sessionId: string }) => `sessions.session.${d.sessionId}`;
const attendanceSubject = (d: { sessionId: string; date: string }) => `sessions.attendance.${d.sessionId}.${d.date}`;

export const GroupCreated = define({
  type: "GroupCreated",
  version: 1,
  stream: "SESSIONS",
  data: GroupCreatedData,
  subject: groupSubject,
  filter: "sessions.group.*",
});
export const GroupRenamed = define({
  type: "GroupRenamed",
  version: 1,
  stream: "SESSIONS",
  data: GroupRenamedData,
  subject: groupSubject,
  filter: "sessions.group.*",
});
export const GroupDeleted = define({
  type: "GroupDeleted",
  version: 1,
  stream: "SESSIONS",
  data: GroupDeletedData,
  subject: groupSubject,
  filter: "sessions.group.*",
});
export const GroupMembersChanged = define({
  type: "GroupMembersChanged",
  version: 1,
  stream: "SESSIONS",
  data: GroupMembersChangedData,
  subject: groupSubject,
  filter: "sessions.group.*",
});
export const SessionScheduled = define({
  type: "SessionScheduled",
  version: 1,
  stream: "SESSIONS",
  data: SessionScheduledData,
  subject: sessionSubject,
  filter: "sessions.session.*",
});
export const SessionChanged = define({
  type: "SessionChanged",
  version: 1,
  stream: "SESSIONS",
  data: SessionChangedData,
  subject: sessionSubject,
  filter: "sessions.session.*",
});
export const SessionCancelled = define({
  type: "SessionCancelled",
  version: 1,
  stream: "SESSIONS",
  data: SessionCancelledData,
  subject: sessionSubject,
  filter: "sessions.session.*",
});
export const AttendanceCorrected = define({
  type: "AttendanceCorrected",
  version: 1,
  stream: "SESSIONS",
  data: AttendanceCorrectedData,
  subject: attendanceSubject,
  filter: "sessions.attendance.*.*",
});
export const ExamCheckRecorded = define({
  type: "ExamCheckRecorded",
  version: 1,
  stream: "SESSIONS",
  data: ExamCheckRecordedData,
  subject: attendanceSubject,
  filter: "sessions.attendance.*.*",
});
/** Once per occurrence (the writer appends it only to an empty subject): the roster and times fixed at its opening. */
export const OccurrenceStarted = define({
  type: "OccurrenceStarted",
  version: 1,
  stream: "SESSIONS",
  data: OccurrenceStartedData,
  subject: (d) => `sessions.occurrence.${d.sessionId}.${d.date}.started`,
  filter: "sessions.occurrence.*.*.started",
});
export const OccurrenceEnded = define({
  type: "OccurrenceEnded",
  version: 1,
  stream: "SESSIONS",
  data: OccurrenceEndedData,
  subject: (d) => `sessions.occurrence.${d.sessionId}.${d.date}.ended`,
  filter: "sessions.occurrence.*.*.ended",
});
/** A negative for self-learning: a person rejected (or, undone, reinstated) a recognition of this track. */
export const RecognitionRejected = define({
  type: "RecognitionRejected",
  version: 1,
  stream: "SESSIONS",
  data: RecognitionRejectedData,
  subject: (d) => `sessions.negative.${d.personId}.${d.trackId}`,
  filter: "sessions.negative.*.*",
});

// ---------------------------------------------------------------- commands

export const EnrollPerson = define({
  type: "EnrollPerson",
  version: 1,
  kind: "command",
  stream: "COMMANDS",
  data: z.object({
    requestId: z.uuid(),
    /** Set to add photos to an existing person; otherwise a new person is created with this id. */
    personId: PersonId,
    existing: z.boolean(),
    name: PersonName,
    description: z.string().max(1000),
    photos: z.array(BlobRef).min(1),
    sound: BlobRef.nullable(),
    source: EnrollmentSource,
    importKey: z.string().nullable(),
    requestedBy: z.string(),
    /**
     * Enroll a photo even when it is another person's (the same file, or a face the recognizer would name as them):
     * the user insisted (`--allow-duplicate`, a confirm button). Default false: such a photo is rejected
     * "duplicate-of" (optional: added after v1).
     */
    allowDuplicate: z.boolean().optional(),
  }),
  subject: () => "commands.enroll-person",
  filter: "commands.enroll-person",
});

export const RemovePerson = define({
  type: "RemovePerson",
  version: 1,
  kind: "command",
  stream: "COMMANDS",
  data: z.object({ personId: PersonId, reason: z.string(), requestedBy: z.string(), erase: z.boolean() }),
  subject: () => "commands.remove-person",
  filter: "commands.remove-person",
});

// ---------------------------------------------------------------- alerts

/** "exam": an unknown face or a person not on the roster at an exam camera, or one person in two exam rooms at once. */
export const AlertKind = z.enum(["unknown-at-perimeter", "watchlisted", "after-hours", "system", "exam"]);

export const AlertRaised = define({
  type: "AlertRaised",
  version: 1,
  stream: "ALERTS",
  data: z.object({
    alertId: z.uuid(),
    rule: z.string(),
    kind: AlertKind,
    severity: Severity,
    message: z.string(),
    cameraId: CameraId.nullable(),
    personId: PersonId.nullable(),
    trackId: TrackId.nullable(),
    sightingId: z.string().nullable(),
    crop: ImageRef.nullable(),
  }),
  subject: (d) => `alerts.${d.alertId}.raised`,
  filter: "alerts.*.raised",
});

export const AlertAcknowledged = define({
  type: "AlertAcknowledged",
  version: 1,
  stream: "ALERTS",
  data: z.object({ alertId: z.uuid(), by: z.string(), note: z.string().max(1000) }),
  subject: (d) => `alerts.${d.alertId}.acknowledged`,
  filter: "alerts.*.acknowledged",
});

export const AlertResolved = define({
  type: "AlertResolved",
  version: 1,
  stream: "ALERTS",
  data: z.object({ alertId: z.uuid(), by: z.string(), note: z.string().max(1000) }),
  subject: (d) => `alerts.${d.alertId}.resolved`,
  filter: "alerts.*.resolved",
});

// ---------------------------------------------------------------- system

export const CameraStatusChanged = define({
  type: "CameraStatusChanged",
  version: 1,
  stream: "SYSTEM",
  data: z.object({
    cameraId: CameraId,
    role: CameraRole,
    status: z.enum(["starting", "live", "reconnecting", "failed", "ended", "stopped"]),
    message: z.string(),
    attempt: z.number().int().nonnegative(),
    source: z.string(),
  }),
  subject: (d) => `system.camera.${d.cameraId}.status`,
  filter: "system.camera.*.status",
});

export const GreetingPlayed = define({
  type: "GreetingPlayed",
  version: 1,
  stream: "SYSTEM",
  data: z.object({
    personId: PersonId,
    personName: z.string(),
    cameraId: CameraId,
    trackId: TrackId,
    sound: BlobRef.nullable(),
    usedDefault: z.boolean(),
    player: z.string(),
  }),
  subject: (d) => `system.greeting.${d.cameraId}`,
  filter: "system.greeting.*",
});

export const RetentionRunCompleted = define({
  type: "RetentionRunCompleted",
  version: 1,
  stream: "SYSTEM",
  data: z.object({
    startedAt: IsoTime,
    finishedAt: IsoTime,
    removed: z.record(z.string(), z.number().int().nonnegative()),
    objectsRemoved: z.number().int().nonnegative(),
    orphansRemoved: z.number().int().nonnegative(),
  }),
  subject: () => "system.retention.completed",
  filter: "system.retention.completed",
});

export const PersonErased = define({
  type: "PersonErased",
  version: 1,
  stream: "SYSTEM",
  data: z.object({
    /** Audit record without biometric data: who, when, by whom, how much was removed. */
    personId: PersonId,
    by: z.string(),
    removed: z.record(z.string(), z.number().int().nonnegative()),
  }),
  subject: (d) => `system.erasure.${d.personId}`,
  filter: "system.erasure.*",
});

// ---------------------------------------------------------------- models

export const ClassifierPublished = define({
  type: "ClassifierPublished",
  version: 1,
  stream: "MODELS",
  data: z.object({
    modelId: z.string().min(1),
    model: BlobRef,
    embeddingModel: z.string(),
    inputSize: z.number().int().positive(),
    classes: z.array(z.object({ personId: PersonId.nullable(), name: z.string() })),
    metrics: z.object({
      validationAccuracy: z.number().min(0).max(1),
      unknownRejection: z.number().min(0).max(1),
      samples: z.number().int().nonnegative(),
      maxAbsDiffOnnx: z.number().nonnegative(),
    }),
    trainedAt: IsoTime,
  }),
  subject: () => "models.classifier.published",
  filter: "models.classifier.published",
});

// ---------------------------------------------------------------- dead letters

export const MessageDeadLettered = define({
  type: "MessageDeadLettered",
  version: 1,
  stream: "DEADLETTER",
  data: z.object({
    stream: z.string(),
    consumer: z.string(),
    subject: z.string(),
    streamSeq: z.number().int().nonnegative(),
    deliveries: z.number().int().nonnegative(),
    reason: z.string(),
    /** The original payload, base64 (may be truncated to 256 KiB). */
    payloadBase64: z.string(),
    truncated: z.boolean(),
  }),
  subject: (d) => `deadletter.${d.stream}.${d.consumer}`,
  filter: "deadletter.>",
});

/** Every message the system knows, by type name. */
export const Messages = {
  FaceDetected,
  FaceTrackEnded,
  FaceRecognized,
  UnknownFaceSeen,
  TrackConcluded,
  VisitorClustered,
  VisitorUpdated,
  VisitorNamed,
  VisitorIgnored,
  PersonEnrolled,
  PersonUpdated,
  PersonRemoved,
  FaceTemplateAdded,
  FaceTemplateReverted,
  EnrollmentRejected,
  GroupCreated,
  GroupRenamed,
  GroupDeleted,
  GroupMembersChanged,
  SessionScheduled,
  SessionChanged,
  SessionCancelled,
  AttendanceCorrected,
  ExamCheckRecorded,
  OccurrenceStarted,
  OccurrenceEnded,
  RecognitionRejected,
  EnrollPerson,
  RemovePerson,
  AlertRaised,
  AlertAcknowledged,
  AlertResolved,
  CameraStatusChanged,
  GreetingPlayed,
  RetentionRunCompleted,
  PersonErased,
  ClassifierPublished,
  MessageDeadLettered,
} as const;

export type Messages = typeof Messages;
export type MessageType = keyof Messages;
export type AnyMessageDef = Messages[MessageType];
export type EnvelopeOf<T extends MessageType> = z.infer<Messages[T]["envelope"]>;
export type DataOf<T extends MessageType> = z.infer<Messages[T]["data"]>;
export type AnyEnvelope = { [K in MessageType]: EnvelopeOf<K> }[MessageType];

export const AnyEnvelopeSchema = z.discriminatedUnion(
  "type",
  Object.values(Messages).map((m) => m.envelope) as unknown as [
    Messages[MessageType]["envelope"],
    ...Messages[MessageType]["envelope"][],
  ],
);

export { BlobRef, Embedding, ImageRef };
