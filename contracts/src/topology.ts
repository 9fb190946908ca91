import type { StreamName } from "./messages.ts";

/**
 * The JetStream topology, declared once. `applyTopology` (in @persona/bus) creates what is missing and
 * updates what differs, idempotently, at every service start.
 */

const SECOND_NS = 1_000_000_000;
const MINUTE_NS = 60 * SECOND_NS;
const HOUR_NS = 60 * MINUTE_NS;
const DAY_NS = 24 * HOUR_NS;

export interface StreamDecl {
  name: StreamName;
  subjects: string[];
  retention: "workqueue" | "limits";
  /** 0 = keep forever. Nanoseconds. */
  maxAgeNs: number;
  /** -1 = unlimited. */
  maxBytes: number;
  maxMsgSize: number;
  duplicateWindowNs: number;
  description: string;
}

export interface ConsumerDecl {
  stream: StreamName;
  durable: string;
  filterSubject?: string;
  ackWaitMs: number;
  maxDeliver: number;
  /** Upper bound of unacknowledged messages across all workers of this consumer. */
  maxAckPending: number;
  /** Where a new durable starts: every stored message ("all", default) or only those published from now ("new"). */
  deliverPolicy?: "all" | "new";
  description: string;
}

export interface KvDecl {
  bucket: string;
  history: number;
  /** Entries older than this are dropped (ms; 0 = never). */
  ttlMs: number;
  description: string;
}

export interface ObjectBucketDecl {
  bucket: string;
  description: string;
}

export const STREAMS: readonly StreamDecl[] = [
  {
    name: "DETECTIONS",
    subjects: ["detections.>"],
    retention: "workqueue",
    maxAgeNs: 1 * HOUR_NS,
    maxBytes: 1024 * 1024 * 1024,
    maxMsgSize: 256 * 1024,
    duplicateWindowNs: 2 * MINUTE_NS,
    description: "Face crops from cameras, consumed once by the recognizers' shared work queue",
  },
  {
    name: "SIGHTINGS",
    subjects: ["sightings.>"],
    retention: "limits",
    maxAgeNs: 30 * DAY_NS,
    maxBytes: 4 * 1024 * 1024 * 1024,
    maxMsgSize: 256 * 1024,
    duplicateWindowNs: 2 * MINUTE_NS,
    description: "Recognitions, unknown faces and concluded tracks; many consumers",
  },
  {
    name: "LIBRARY",
    subjects: ["library.>"],
    retention: "limits",
    maxAgeNs: 0,
    maxBytes: -1,
    maxMsgSize: 1024 * 1024,
    duplicateWindowNs: 10 * MINUTE_NS,
    description: "The people library, event-sourced; kept until a person is erased",
  },
  {
    name: "SESSIONS",
    subjects: ["sessions.>"],
    retention: "limits",
    maxAgeNs: 0,
    maxBytes: -1,
    maxMsgSize: 256 * 1024,
    duplicateWindowNs: 10 * MINUTE_NS,
    description: "Groups, sessions, attendance corrections, exam verdicts, occurrences' start and end, negatives; kept forever",
  },
  {
    name: "COMMANDS",
    subjects: ["commands.>"],
    retention: "workqueue",
    maxAgeNs: 1 * DAY_NS,
    maxBytes: 256 * 1024 * 1024,
    maxMsgSize: 1024 * 1024,
    duplicateWindowNs: 10 * MINUTE_NS,
    description: "Commands (enroll, remove) handled once",
  },
  {
    name: "ALERTS",
    subjects: ["alerts.>"],
    retention: "limits",
    maxAgeNs: 90 * DAY_NS,
    maxBytes: 1024 * 1024 * 1024,
    maxMsgSize: 256 * 1024,
    duplicateWindowNs: 10 * MINUTE_NS,
    description: "Alerts raised, acknowledged, resolved",
  },
  {
    name: "MODELS",
    subjects: ["models.>"],
    retention: "limits",
    maxAgeNs: 0,
    maxBytes: 64 * 1024 * 1024,
    maxMsgSize: 256 * 1024,
    duplicateWindowNs: 10 * MINUTE_NS,
    description: "Published fast classifiers",
  },
  {
    name: "SYSTEM",
    subjects: ["system.>"],
    retention: "limits",
    maxAgeNs: 30 * DAY_NS,
    maxBytes: 512 * 1024 * 1024,
    maxMsgSize: 256 * 1024,
    duplicateWindowNs: 2 * MINUTE_NS,
    description: "Camera status, greetings, retention runs, erasure audit",
  },
  {
    name: "DEADLETTER",
    subjects: ["deadletter.>"],
    retention: "limits",
    maxAgeNs: 30 * DAY_NS,
    maxBytes: 512 * 1024 * 1024,
    maxMsgSize: 1024 * 1024,
    duplicateWindowNs: 2 * MINUTE_NS,
    description: "Poison and exhausted messages, with the reason, for inspection",
  },
];

export const CONSUMERS: readonly ConsumerDecl[] = [
  {
    stream: "DETECTIONS",
    durable: "recognizers",
    ackWaitMs: 30_000,
    maxDeliver: 5,
    maxAckPending: 256,
    description: "All recognizer replicas share this work queue",
  },
  {
    stream: "COMMANDS",
    durable: "enrollment",
    filterSubject: "commands.enroll-person",
    ackWaitMs: 60_000,
    maxDeliver: 3,
    maxAckPending: 16,
    description: "Enrollment requests, answered by recognizers (detect + embed a reference photo)",
  },
  {
    stream: "COMMANDS",
    durable: "removal",
    filterSubject: "commands.remove-person",
    ackWaitMs: 60_000,
    maxDeliver: 5,
    maxAckPending: 16,
    description: "Removal and erasure requests",
  },
];

/**
 * Durables a service creates itself when it starts (not by `applyTopology`): those that start at "new" must begin at
 * the owning service's first start, not at whichever service applied the topology first (a bot installed a month
 * after the cameras must not send that month's alerts). Declared here, with the shared ones, so every durable of
 * the system is in one list; a service takes its own with `serviceConsumer(durable)`.
 */
export const SERVICE_CONSUMERS: readonly (ConsumerDecl & { owner: string })[] = [
  {
    owner: "greeter",
    stream: "SIGHTINGS",
    durable: "greeter",
    ackWaitMs: 30_000,
    maxDeliver: 5,
    maxAckPending: 64,
    // a greeter starting for the first time must not greet last month's visitors
    deliverPolicy: "new",
    description: "Greets recognised people once per visit",
  },
  {
    owner: "trainer",
    stream: "SIGHTINGS",
    durable: "gallery-growth",
    filterSubject: "sightings.*.recognized",
    ackWaitMs: 60_000,
    maxDeliver: 5,
    maxAckPending: 16,
    // a trainer starting for the first time learns from what it sees from now on, not from last month's backlog
    deliverPolicy: "new",
    description: "Gallery growth: confirmed recognitions that may add a self-learned template",
  },
  {
    owner: "bot",
    stream: "ALERTS",
    durable: "bot-alerts",
    filterSubject: "alerts.*.raised",
    ackWaitMs: 60_000,
    maxDeliver: 5,
    maxAckPending: 16,
    // a bot starting for the first time must not send last month's alerts
    deliverPolicy: "new",
    description: "Sends raised alerts to subscribed Telegram chats",
  },
  {
    owner: "bot",
    stream: "SESSIONS",
    durable: "bot-sessions",
    filterSubject: "sessions.occurrence.*.*.ended",
    ackWaitMs: 60_000,
    maxDeliver: 5,
    maxAckPending: 16,
    // a bot starting for the first time must not send last month's absentees
    deliverPolicy: "new",
    description: "Sends each ended occurrence's absentees to its session's owner in Telegram",
  },
  {
    owner: "portal",
    stream: "SIGHTINGS",
    durable: "projections",
    ackWaitMs: 30_000,
    maxDeliver: 30,
    maxAckPending: 1,
    description:
      "Portal read models (sightings, presence, attendance, visitors); all portal replicas share it, one event at a time",
  },
  {
    owner: "portal",
    stream: "LIBRARY",
    durable: "people-projection",
    ackWaitMs: 30_000,
    maxDeliver: 30,
    maxAckPending: 1,
    description: "Portal people library read model; all portal replicas share it, one event at a time",
  },
  {
    owner: "portal",
    stream: "ALERTS",
    durable: "alerts-projection",
    ackWaitMs: 30_000,
    maxDeliver: 30,
    maxAckPending: 1,
    description: "Portal alerts read model; all portal replicas share it, one event at a time",
  },
  {
    owner: "portal",
    stream: "SIGHTINGS",
    durable: "alerts",
    ackWaitMs: 30_000,
    maxDeliver: 30,
    maxAckPending: 1,
    deliverPolicy: "new",
    description: "Portal alert rules over the sightings; all portal replicas share it, one event at a time",
  },
];

/** A durable declared in this topology (shared or a service's own), by name; throws for an undeclared one. */
export function consumerDecl(durable: string): ConsumerDecl {
  const d = CONSUMERS.find((c) => c.durable === durable) ?? SERVICE_CONSUMERS.find((c) => c.durable === durable);
  if (d === undefined) throw new Error(`no durable consumer "${durable}" is declared in contracts/src/topology.ts`);
  if (!("owner" in d)) return d;
  const { owner: _owner, ...decl } = d;
  return decl;
}

export const KV_BUCKETS: readonly KvDecl[] = [
  { bucket: "config", history: 5, ttlMs: 0, description: "Runtime configuration (alert rules, managed cameras `cameras.<id>`)" },
  { bucket: "leases", history: 1, ttlMs: 0, description: "Leader leases (one active trainer)" },
  {
    bucket: "camera-health",
    history: 1,
    ttlMs: 0,
    description: "What each camera service reports about the cameras it runs (state, fps, last error), every few seconds",
  },
  {
    bucket: "tracks",
    history: 1,
    ttlMs: 6 * 60 * 60 * 1000,
    description: "Per-track vote state shared by recognizer replicas (compare-and-set), kept 6 hours",
  },
  {
    bucket: "library-locks",
    history: 1,
    ttlMs: 30 * 1000,
    description: "Per-person write locks of the library writer (create fails while held); a lost lock expires in 30 s",
  },
];

export const OBJECT_BUCKETS: readonly ObjectBucketDecl[] = [
  { bucket: "photos", description: "Enrollment photos" },
  { bucket: "sounds", description: "Greeting sounds" },
  { bucket: "crops", description: "Face crops of sightings" },
  { bucket: "models", description: "Trained classifiers (ONNX)" },
];
