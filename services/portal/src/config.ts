import { env } from "@persona/runtime";
import { z } from "zod";
import { HOST_TIME_ZONE, checkTimeZone } from "./projections/attendance.ts";

/** The portal service's own settings (the common ones, NATS_URL, HEALTH_PORT, LOG_LEVEL..., are read by runService). */
export const configSchema = z.strictObject({
  STORE_URL: z.string().default("sqlite:./data/persona.db"),
  PORTAL_PORT: env.port(8080),
  PORTAL_HOST: env.str("127.0.0.1"),
  /** IANA time zone in which attendance days are counted. Default: the host's. */
  ATTENDANCE_TIME_ZONE: z
    .string()
    .default(HOST_TIME_ZONE)
    .refine(
      (tz) => {
        try {
          checkTimeZone(tz);
          return true;
        } catch {
          return false;
        }
      },
      { message: "an IANA time zone such as Europe/Moscow or UTC" },
    ),
});
export type Config = z.infer<typeof configSchema>;
