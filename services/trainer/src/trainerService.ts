/**
 * The trainer's fast-classifier side: holds the lease (one active trainer), keeps the labelled crop bank fed from
 * SIGHTINGS and LIBRARY, trains on a schedule and after enrollments (debounced) in a low-priority child process,
 * publishes a model only when it is not worse than the current one, and reports progress (logs, /readyz detail).
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { type Bus, type Feed, Lease } from "@persona/bus";
import { type AnyEnvelope, type ImageRef, isTrialEvent } from "@persona/contracts";
import type { Logger, ReadinessCheck } from "@persona/runtime";
import { SnapshotFile } from "./snapshotFile.ts";
import { decodeChip } from "@persona/vision";
import { type ClassInfo, splitRun } from "./classifier/dataset.ts";
import { ACCEPT_DEFAULTS, type AcceptOptions, acceptModel } from "./classifier/evaluate.ts";
import { MODELS_BUCKET, modelKey } from "./classifier/publish.ts";
import { runInChild, type ChildRun } from "./classifier/runInChild.ts";
import { NET_SIZE, SampleError, chipToSample } from "./classifier/sample.ts";
import { type BankLimits, CropBank, PendingUnknowns } from "./cropBank.ts";

export interface TrainerSettings {
  dataDir: string;
  scheduleMinutes: number;
  debounceSeconds: number;
  leaseTtlSeconds: number;
  epochs: number;
  nice: number;
  minPerPerson: number;
  minProbability: number;
  embeddingModel: string;
  limits: BankLimits;
  accept: AcceptOptions;
  /** Instance name in the lease (default: host + pid + random). */
  holder?: string;
}

export interface TrainerStatus {
  leader: boolean;
  lease: string;
  state: "waiting-for-lease" | "idle" | "training" | "publishing";
  bank: { crops: number; people: number; unknown: number; version: number };
  run: { reason: string; epoch: number; epochs: number; loss: number; startedAt: string } | null;
  last: {
    at: string;
    published: boolean;
    reason: string;
    modelId?: string;
    metrics?: unknown;
    /** The current model's metrics on the same validation crops. */
    current?: unknown;
  } | null;
  currentModelId: string | null;
}

interface CurrentModel {
  modelId: string;
  classes: ClassInfo[];
  onnx: Uint8Array;
}

const SOURCE_STREAMS = ["LIBRARY", "SIGHTINGS"] as const;

export class FastClassifierTrainer {
  private lease: Lease | undefined;
  private bank: CropBank;
  private readonly pending = new PendingUnknowns();
  private feeds: Feed[] = [];
  private scheduleTimer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private child: ChildRun | undefined;
  private running: Promise<void> | undefined;
  private trainedVersion = -1;
  private current: CurrentModel | null = null;
  private stopped = false;
  readonly status: TrainerStatus;
  private readonly file: string;
  private readonly snapshot: SnapshotFile;

  constructor(
    private readonly bus: Bus,
    private readonly s: TrainerSettings,
    private readonly log: Logger,
  ) {
    this.file = join(s.dataDir, "crops.bin");
    // nothing to save before the bank was loaded (never started: tests), nor an empty bank of a follower
    this.snapshot = new SnapshotFile(
      this.file,
      () => (!this.lease || (!this.status.leader && this.bank.size === 0) ? null : this.bank.serialize()),
      log,
      "the crop bank",
    );
    this.bank = new CropBank(s.limits);
    this.status = {
      leader: false,
      lease: "not checked yet",
      state: "waiting-for-lease",
      bank: { crops: 0, people: 0, unknown: 0, version: 0 },
      run: null,
      last: null,
      currentModelId: null,
    };
  }

  async start(): Promise<void> {
    this.lease = new Lease(await this.bus.kv("leases"), {
      key: "fast-classifier-trainer",
      holder: this.s.holder ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      ttlMs: this.s.leaseTtlSeconds * 1000,
      onChange: (held, detail) => void this.onLease(held, detail),
    });
    this.lease.start();
  }

  get checks(): ReadinessCheck[] {
    return [{ name: "trainer", check: () => ({ ok: true, detail: JSON.stringify(this.statusNow()) }) }];
  }

  statusNow(): TrainerStatus {
    const c = this.bank.counts();
    if (this.lease) this.status.lease = this.lease.detail;
    this.status.bank = { crops: this.bank.size, people: c.people, unknown: c.unknown, version: this.bank.version };
    return this.status;
  }

  private async onLease(held: boolean, detail: string): Promise<void> {
    this.status.leader = held;
    this.status.lease = detail;
    if (held) {
      this.log.info({ detail }, "trainer lease held: this instance trains");
      this.status.state = "idle";
      try {
        await this.becomeLeader();
      } catch (err) {
        this.log.error({ err }, "cannot start as the active trainer");
      }
    } else {
      this.log.info({ detail }, "trainer lease not held: waiting");
      this.status.state = "waiting-for-lease";
      await this.stepDown("lease lost");
    }
  }

  private async becomeLeader(): Promise<void> {
    mkdirSync(this.s.dataDir, { recursive: true });
    if (existsSync(this.file)) {
      try {
        this.bank = CropBank.deserialize(readFileSync(this.file), this.s.limits);
        this.log.info({ crops: this.bank.size, seq: this.bank.seq }, "crop bank loaded");
      } catch (err) {
        this.log.warn({ err }, "crop bank file unreadable: rebuilding from the streams");
        this.bank = new CropBank(this.s.limits);
      }
    }
    await this.loadCurrentModel();
    for (const stream of SOURCE_STREAMS) {
      const from = (this.bank.seq[stream] ?? 0) + 1;
      const feed = await this.bus.follow({ stream, from: { seq: from } });
      this.feeds.push(feed);
      void (async () => {
        for await (const m of feed) {
          try {
            if (m.env !== null) await this.apply(m.env);
          } catch (err) {
            this.log.warn({ err, stream, seq: m.seq }, "cannot use a message for training; skipped");
          }
          this.bank.seq[stream] = m.seq;
          this.snapshot.scheduleSave();
        }
      })();
    }
    this.scheduleTimer = setInterval(() => this.trigger("schedule"), this.s.scheduleMinutes * 60_000);
    this.trigger("became the active trainer", this.s.debounceSeconds);
  }

  private async stepDown(reason: string): Promise<void> {
    clearInterval(this.scheduleTimer);
    clearTimeout(this.debounceTimer);
    this.child?.abort(reason);
    for (const f of this.feeds.splice(0)) await f.close().catch(() => {});
    this.snapshot.save();
  }

  /** Folds one event into the bank. */
  async apply(env: AnyEnvelope): Promise<void> {
    // a trial camera's sightings (persona watch) never enter the bank
    if (isTrialEvent(env)) return;
    switch (env.type) {
      case "PersonEnrolled":
        this.bank.removed.delete(env.data.personId);
        this.bank.names.set(env.data.personId, env.data.name);
        this.trigger("enrollment", this.s.debounceSeconds);
        return;
      case "PersonUpdated":
        if (env.data.name) this.bank.names.set(env.data.personId, env.data.name);
        return;
      case "PersonRemoved":
        if (this.bank.removePerson(env.data.personId) > 0) this.trigger("removal", this.s.debounceSeconds);
        return;
      case "FaceTemplateAdded": {
        if (!env.data.crop) return;
        const sample = await this.sampleOf(env.data.crop);
        if (!sample) return;
        const source = env.data.origin.kind === "self-learning" ? "sighting" : env.data.origin.kind;
        this.bank.add({ id: env.data.templateId, personId: env.data.personId, source, at: Date.parse(env.occurredAt), sample });
        if (source !== "sighting") this.trigger("enrollment", this.s.debounceSeconds);
        return;
      }
      case "FaceTemplateReverted":
        this.bank.removeId(env.data.templateId);
        return;
      case "FaceRecognized": {
        // confirmed by the embedding path only: the classifier never learns from its own answers
        if (env.data.decision !== "confirmed" || env.data.via !== "embedding") return;
        if (this.bank.has(env.data.detectionId)) return;
        const sample = await this.sampleOf(env.data.crop);
        if (!sample) return;
        if (!this.bank.names.has(env.data.personId)) this.bank.names.set(env.data.personId, env.data.personName);
        this.bank.add({
          id: env.data.detectionId,
          personId: env.data.personId,
          source: "sighting",
          at: Date.parse(env.occurredAt),
          sample,
        });
        return;
      }
      case "UnknownFaceSeen": {
        const sample = await this.sampleOf(env.data.crop);
        if (!sample) return;
        this.pending.add(PendingUnknowns.key(env.data.cameraId, env.data.trackId), {
          id: env.data.detectionId,
          sample,
          at: Date.parse(env.occurredAt),
        });
        return;
      }
      case "TrackConcluded": {
        const crops = this.pending.take(PendingUnknowns.key(env.data.cameraId, env.data.trackId));
        if (env.data.outcome.kind !== "unknown") return;
        for (const c of crops) this.bank.add({ ...c, personId: null, source: "unknown" });
        return;
      }
      default:
        return;
    }
  }

  private async sampleOf(ref: ImageRef): Promise<Uint8Array | null> {
    let bytes: Uint8Array;
    if (ref.kind === "inline") bytes = Buffer.from(ref.base64, "base64");
    else {
      const store = await this.bus.objectStore(ref.ref.bucket);
      const blob = await store.getBlob(ref.ref.key);
      if (!blob) return null; // retention removed it
      bytes = blob;
    }
    try {
      return chipToSample(decodeChip(bytes));
    } catch (err) {
      if (err instanceof SampleError) return null;
      throw err;
    }
  }

  /** Asks for a run (now, or after `delaySeconds` of quiet). */
  trigger(reason: string, delaySeconds = 0): void {
    if (this.stopped) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => void this.trainIfUseful(reason), delaySeconds * 1000);
  }

  /** Runs training now unless not leader, already running, or nothing changed since the last run. */
  async trainIfUseful(reason: string, force = false): Promise<TrainerStatus["last"]> {
    if (!this.lease?.held || this.stopped) return null;
    if (this.running) {
      await this.running;
      return this.status.last;
    }
    if (!force && this.bank.version === this.trainedVersion) {
      this.log.debug({ reason }, "training skipped: no new crops since the last run");
      return this.status.last;
    }
    this.running = this.train(reason).finally(() => {
      this.running = undefined;
    });
    await this.running;
    return this.status.last;
  }

  private async train(reason: string): Promise<void> {
    const version = this.bank.version;
    const crops = this.bank.crops();
    const data = splitRun(
      crops.map((c) => ({ id: c.id, personId: c.personId, sample: c.sample })),
      this.bank.names,
      { minPerPerson: this.s.minPerPerson },
    );
    const at = new Date().toISOString();
    if (data.classes.length < 2) {
      this.status.last = { at, published: false, reason: `not enough data: no person has ${this.s.minPerPerson} crops yet` };
      this.trainedVersion = version;
      this.log.info({ reason, crops: crops.length }, this.status.last.reason);
      return;
    }
    this.status.state = "training";
    this.status.run = { reason, epoch: 0, epochs: this.s.epochs, loss: 0, startedAt: at };
    this.log.info(
      { reason, classes: data.classes.length, train: data.train.length, validation: data.val.length, skipped: data.skipped },
      "training the fast classifier",
    );
    try {
      this.child = runInChild(
        {
          kind: "train",
          data,
          options: {
            train: { epochs: this.s.epochs },
            minProbability: this.s.minProbability,
            current: this.current,
            metadata: { embeddingModel: this.s.embeddingModel },
          },
        },
        {
          nice: this.s.nice,
          onEpoch: (e) => {
            if (this.status.run) Object.assign(this.status.run, { epoch: e.epoch, epochs: e.epochs, loss: e.loss });
            this.log.info(
              { epoch: e.epoch, epochs: e.epochs, loss: Number(e.loss.toFixed(4)), seconds: e.seconds },
              "training epoch",
            );
          },
        },
      );
      const result = await this.child.result;
      this.trainedVersion = version;
      const verdict = acceptModel(result.metrics, result.current, this.s.accept);
      if (!verdict.publish) {
        this.status.last = {
          at: new Date().toISOString(),
          published: false,
          reason: verdict.reason,
          metrics: result.metrics,
          current: result.current,
        };
        this.log.warn({ metrics: result.metrics, current: result.current }, `new classifier not published: ${verdict.reason}`);
        return;
      }
      this.status.state = "publishing";
      const modelId = `${at.replace(/[:.]/g, "-")}-${createHash("sha256").update(result.onnx).digest("hex").slice(0, 8)}`;
      const key = modelKey(modelId);
      const os = await this.bus.objectStore(MODELS_BUCKET);
      await os.putBlob({ name: key }, result.onnx);
      const sha256 = createHash("sha256").update(result.onnx).digest("hex");
      await this.bus.publish(
        this.bus.envelope("ClassifierPublished", {
          modelId,
          model: { bucket: MODELS_BUCKET, key, contentType: "application/onnx", size: result.onnx.length, sha256 },
          embeddingModel: this.s.embeddingModel,
          inputSize: NET_SIZE,
          classes: result.classes,
          metrics: {
            validationAccuracy: result.metrics.validationAccuracy,
            unknownRejection: result.metrics.unknownRejection,
            samples: result.metrics.samples,
            maxAbsDiffOnnx: result.metrics.maxAbsDiffOnnx,
          },
          trainedAt: new Date().toISOString(),
        }),
      );
      this.current = { modelId, classes: result.classes, onnx: result.onnx };
      this.status.currentModelId = modelId;
      this.status.last = {
        at: new Date().toISOString(),
        published: true,
        reason: verdict.reason,
        modelId,
        metrics: result.metrics,
        current: result.current,
      };
      this.log.info({ modelId, metrics: result.metrics, current: result.current }, `classifier published: ${verdict.reason}`);
    } catch (err) {
      this.status.last = { at: new Date().toISOString(), published: false, reason: (err as Error).message };
      this.log.error({ err }, "training run failed");
    } finally {
      this.child = undefined;
      this.status.run = null;
      this.status.state = this.lease?.held ? "idle" : "waiting-for-lease";
    }
  }

  /** The last published model (so "never worse" survives restarts and failover). */
  private async loadCurrentModel(): Promise<void> {
    const env = await this.bus.last("ClassifierPublished", "models.classifier.published").catch(() => null);
    if (!env) return;
    const os = await this.bus.objectStore(MODELS_BUCKET);
    const sample = await os.getBlob(env.data.model.key);
    if (!sample) {
      this.log.warn(
        { modelId: env.data.modelId },
        "current classifier's sample graph is missing: the next model is judged alone",
      );
      return;
    }
    this.current = { modelId: env.data.modelId, classes: env.data.classes, onnx: sample };
    this.status.currentModelId = env.data.modelId;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.stepDown("stopping");
    await this.lease?.stop();
  }
}

export const DEFAULT_ACCEPT = ACCEPT_DEFAULTS;
