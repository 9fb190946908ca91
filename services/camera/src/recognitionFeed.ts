/**
 * Follows what the recognizers say about this service's tracks (`FaceRecognized`, `UnknownFaceSeen`) with plain core
 * NATS subscriptions, for the live view's labels. Core, not a durable consumer: labels are only worth having live,
 * and a restarted camera service has new track ids anyway.
 */
import type { Bus } from "@persona/bus";
import { FaceRecognized, UnknownFaceSeen } from "@persona/contracts";
import type { Logger } from "@persona/runtime";
import type { TrackNames } from "./trackNames.ts";

type Subscriber = Pick<Bus["nc"], "subscribe">;

export interface RecognitionFeed {
  /** Messages that failed to parse (ignored). */
  readonly invalid: number;
  stop(): void;
}

export function followRecognitions(
  nc: Subscriber,
  cameraIds: ReadonlySet<string>,
  names: TrackNames,
  log: Logger,
): RecognitionFeed {
  let invalid = 0;
  const parse = (data: Uint8Array): unknown => {
    try {
      return JSON.parse(new TextDecoder().decode(data));
    } catch {
      return undefined;
    }
  };
  const bad = (subject: string) => {
    invalid++;
    if (invalid === 1 || invalid % 100 === 0) log.warn({ subject, invalid }, "ignoring a sighting that does not parse");
  };
  /** A core subscription to one of the recognizers' track events; `apply` gets the data of each for these cameras. */
  const follow = <D extends { cameraId: string; trackId: string }>(
    event: { filter: string; envelope: { safeParse(value: unknown): { data?: { data: D } } } },
    apply: (d: D) => void,
  ) =>
    nc.subscribe(event.filter, {
      callback: (err, msg) => {
        if (err) return;
        const d = event.envelope.safeParse(parse(msg.data)).data?.data;
        if (!d) return bad(msg.subject);
        if (cameraIds.has(d.cameraId)) apply(d);
      },
    });
  const recognized = follow(FaceRecognized, (d) => names.recognized(d.trackId, d.personName, d.decision));
  const unknown = follow(UnknownFaceSeen, (d) => names.unknown(d.trackId));
  return {
    get invalid() {
      return invalid;
    },
    stop() {
      recognized.unsubscribe();
      unknown.unsubscribe();
    },
  };
}
