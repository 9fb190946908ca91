import { MessageDeadLettered } from "@persona/contracts";
import type { z } from "zod";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { SystemStatus } from "../http/schemas.ts";

/** GET /system: services' readiness, durable consumers' lag and the dead letters; answers during a NATS outage. */
export function systemRoutes(api: Api, c: PortalContext): void {
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
}
