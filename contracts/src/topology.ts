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

export const KV_BUCKETS: readonly KvDecl[] = [
  { bucket: "config", history: 5, ttlMs: 0, description: "Runtime configuration (alert rules, camera roles)" },
  { bucket: "leases", history: 1, ttlMs: 0, description: "Leader leases (one active trainer)" },
  {
    bucket: "tracks",
    history: 1,
    ttlMs: 6 * 60 * 60 * 1000,
    description: "Per-track vote state shared by recognizer replicas (compare-and-set), kept 6 hours",
  },
];

export const OBJECT_BUCKETS: readonly ObjectBucketDecl[] = [
  { bucket: "photos", description: "Enrollment photos" },
  { bucket: "sounds", description: "Greeting sounds" },
  { bucket: "crops", description: "Face crops of sightings" },
  { bucket: "models", description: "Trained classifiers (ONNX)" },
];
