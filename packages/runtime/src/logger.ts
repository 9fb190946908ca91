import { pino, type Logger } from "pino";

export type { Logger };

/** Structured JSON logs on stdout. Secrets never reach a log line: pass config through `redactConfig` first. */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ["password", "token", "*.password", "*.token", "*.secret"], censor: "[redacted]" },
  });
}
