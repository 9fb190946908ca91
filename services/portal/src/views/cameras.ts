import type { EnvelopeOf } from "@persona/contracts";
import type { z } from "zod";
import type { LiveCamera, LiveGreeting } from "../http/schemas.ts";

/** A camera's status change as the live push sends it (`camera`): the fields of GET /cameras that change with it. */
export function cameraStatusOf(env: EnvelopeOf<"CameraStatusChanged">): z.infer<typeof LiveCamera> {
  return {
    cameraId: env.data.cameraId,
    status: env.data.status,
    role: env.data.role,
    lastChangeAt: new Date(env.occurredAt).toISOString(),
  };
}

/** A greeting played, as the live push sends it (`greeting`): who, where, and the sound's media key. */
export function greetingOf(env: EnvelopeOf<"GreetingPlayed">): z.infer<typeof LiveGreeting> {
  return {
    personId: env.data.personId,
    name: env.data.personName,
    cameraId: env.data.cameraId,
    soundKey: env.data.sound?.key ?? null,
  };
}
