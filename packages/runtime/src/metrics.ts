import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The metrics every service exports, on a registry of its own (no global state). */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly handled: Counter<"consumer" | "type" | "outcome">;
  readonly failed: Counter<"consumer" | "type">;
  readonly redelivered: Counter<"consumer">;
  readonly inFlight: Gauge<"consumer">;
  readonly handlerSeconds: Histogram<"consumer" | "type">;
  readonly published: Counter<"type">;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.handled = new Counter({
      name: "persona_messages_handled_total",
      help: "Messages handled, by outcome (ok, retry, poison, exhausted)",
      labelNames: ["consumer", "type", "outcome"],
      registers,
    });
    this.failed = new Counter({
      name: "persona_messages_failed_total",
      help: "Messages whose handler threw or asked for a retry",
      labelNames: ["consumer", "type"],
      registers,
    });
    this.redelivered = new Counter({
      name: "persona_messages_redelivered_total",
      help: "Messages received with a delivery count above one",
      labelNames: ["consumer"],
      registers,
    });
    this.inFlight = new Gauge({
      name: "persona_messages_in_flight",
      help: "Messages being handled now",
      labelNames: ["consumer"],
      registers,
    });
    this.handlerSeconds = new Histogram({
      name: "persona_handler_seconds",
      help: "Handler latency",
      labelNames: ["consumer", "type"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.published = new Counter({
      name: "persona_messages_published_total",
      help: "Messages published",
      labelNames: ["type"],
      registers,
    });
  }
}
