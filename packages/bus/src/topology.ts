import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamManager,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { Objm } from "@nats-io/obj";
import { CONSUMERS, type ConsumerDecl, KV_BUCKETS, OBJECT_BUCKETS, STREAMS, type StreamDecl } from "@persona/contracts";
import type { Logger } from "@persona/runtime";
import { TopologyError } from "./errors.ts";

export interface TopologyOptions {
  /** Stream replicas: 1 on one machine, 3 in a cluster. */
  replicas: number;
}

function streamConfig(s: StreamDecl, replicas: number): Partial<StreamConfig> & { name: string } {
  return {
    name: s.name,
    subjects: [...s.subjects],
    description: s.description,
    retention: s.retention === "workqueue" ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: s.maxAgeNs,
    max_bytes: s.maxBytes,
    max_msg_size: s.maxMsgSize,
    duplicate_window: s.duplicateWindowNs,
    discard: DiscardPolicy.Old,
    num_replicas: replicas,
  };
}

const isNotFound = (err: unknown) => err instanceof JetStreamApiError && err.status === 404;

export async function ensureStream(jsm: JetStreamManager, s: StreamDecl, opts: TopologyOptions, log: Logger): Promise<void> {
  const want = streamConfig(s, opts.replicas);
  try {
    const info = await jsm.streams.info(s.name);
    const c = info.config;
    const differs =
      c.max_age !== want.max_age ||
      c.max_bytes !== want.max_bytes ||
      c.max_msg_size !== want.max_msg_size ||
      c.duplicate_window !== want.duplicate_window ||
      c.subjects.join(",") !== want.subjects?.join(",") ||
      c.description !== want.description ||
      // a stream created on one server is raised to the cluster's replicas (and back) in place
      c.num_replicas !== want.num_replicas;
    if (c.retention !== want.retention) {
      throw new TopologyError(
        `stream ${s.name} exists with retention ${c.retention}, declared ${want.retention}: retention cannot change in place; ` +
          "back up and delete the stream to migrate",
      );
    }
    if (differs) {
      const { retention: _r, storage: _s, ...update } = want;
      await jsm.streams.update(s.name, update);
      await untilStreamServes(jsm, s.name);
      log.info({ stream: s.name, replicas: opts.replicas }, "stream updated to declared config");
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(want);
    await untilStreamServes(jsm, s.name);
    log.info({ stream: s.name, replicas: opts.replicas }, "stream created");
  }
}

/**
 * In a cluster the create (or update) is acknowledged by the meta leader before the stream's own raft group has a
 * leader; for a moment after, stream info and consumer creation answer "stream not found". Wait until the stream
 * answers (and, clustered, has a leader) so the next step of the topology does not race it. One server: one request.
 */
export async function untilStreamServes(jsm: JetStreamManager, name: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const info = await jsm.streams.info(name);
      if (!info.cluster || info.cluster.leader) return;
      last = new Error("no stream leader yet");
    } catch (err) {
      if (!isNotFound(err)) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      throw new TopologyError(
        `stream ${name} was accepted but did not come up within ${timeoutMs} ms: ${(last as Error).message}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function ensureConsumer(jsm: JetStreamManager, c: ConsumerDecl, log: Logger): Promise<void> {
  const config = {
    durable_name: c.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: c.deliverPolicy === "new" ? DeliverPolicy.New : DeliverPolicy.All,
    ack_wait: c.ackWaitMs * 1_000_000,
    max_deliver: c.maxDeliver,
    max_ack_pending: c.maxAckPending,
    description: c.description,
    ...(c.filterSubject ? { filter_subject: c.filterSubject } : {}),
  };
  try {
    const info = await jsm.consumers.info(c.stream, c.durable);
    const cur = info.config;
    if (
      cur.ack_wait !== config.ack_wait ||
      cur.max_deliver !== config.max_deliver ||
      cur.max_ack_pending !== config.max_ack_pending ||
      (cur.filter_subject ?? "") !== (c.filterSubject ?? "")
    ) {
      await jsm.consumers.update(c.stream, c.durable, {
        ack_wait: config.ack_wait,
        max_deliver: config.max_deliver,
        max_ack_pending: config.max_ack_pending,
        description: config.description,
        ...(c.filterSubject ? { filter_subject: c.filterSubject } : {}),
      });
      log.info({ stream: c.stream, consumer: c.durable }, "consumer updated");
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(c.stream, config);
    log.info({ stream: c.stream, consumer: c.durable }, "consumer created");
  }
}

/** Creates or updates every declared stream, shared consumer, KV bucket and Object Store bucket. Idempotent. */
export async function applyTopology(
  nc: NatsConnection,
  jsm: JetStreamManager,
  opts: TopologyOptions,
  log: Logger,
): Promise<void> {
  for (const s of STREAMS) await ensureStream(jsm, s, opts, log);
  for (const c of CONSUMERS) await ensureConsumer(jsm, c, log);
  const kvm = new Kvm(nc);
  for (const b of KV_BUCKETS)
    await kvm.create(b.bucket, {
      history: b.history,
      replicas: opts.replicas,
      description: b.description,
      ...(b.ttlMs > 0 ? { ttl: b.ttlMs } : {}),
    });
  const objm = new Objm(nc);
  for (const b of OBJECT_BUCKETS) await objm.create(b.bucket, { replicas: opts.replicas, description: b.description });
}

/** True when every declared stream and shared consumer exists. */
export async function topologyPresent(jsm: JetStreamManager): Promise<{ ok: boolean; missing: string[] }> {
  const missing: string[] = [];
  for (const s of STREAMS) {
    try {
      await jsm.streams.info(s.name);
    } catch (err) {
      if (isNotFound(err)) missing.push(`stream ${s.name}`);
      else throw err;
    }
  }
  for (const c of CONSUMERS) {
    try {
      await jsm.consumers.info(c.stream, c.durable);
    } catch (err) {
      if (isNotFound(err)) missing.push(`consumer ${c.stream}/${c.durable}`);
      else throw err;
    }
  }
  return { ok: missing.length === 0, missing };
}
