// A worker process for the exactly-once test: consumes FaceTrackEnded events from the recognizers' durable
// consumer and applies each to a SQLite projection with applyOnce. Prints one line per applied/skipped event.
import { openStore } from "@persona/store";
import { ok } from "../src/outcome.ts";
import { testBus } from "./helpers.ts";

const [url, dbPath, name] = process.argv.slice(2) as [string, string, string];
const store = await openStore({ url: `sqlite:${dbPath}` });
await store.collection({ name: "tracks" });
const bus = await testBus(url, name);
const decl = {
  stream: "DETECTIONS" as const,
  durable: "recognizers",
  ackWaitMs: 2000,
  maxDeliver: 10,
  maxAckPending: 256,
  description: "test",
};
await bus.consume({
  consumer: decl,
  concurrency: 8,
  handlers: {
    FaceTrackEnded: async (env) => {
      const r = await store.applyOnce("tracks", { eventId: env.id }, [
        { op: "put", collection: "tracks", doc: { id: env.data.trackId, worker: name, eventId: env.id } as { id: string } },
      ]);
      process.stdout.write(`${r} ${env.id}\n`);
      // slow enough that a kill lands while messages are in flight
      await new Promise((res) => setTimeout(res, 1));
      return ok();
    },
  },
});
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void bus
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});
