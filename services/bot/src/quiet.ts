/**
 * The quiet period of alerts: after an alert from a camera has been sent, further alerts of the same kind from that
 * camera within `quietMs` are not sent (the portal's rules already raise one alert per unknown visit; this stops a
 * busy door from flooding the chats). Alerts without a camera are never held back. Pure; the clock is passed in.
 */
export class QuietPeriod {
  private readonly lastSent = new Map<string, number>();

  constructor(private readonly quietMs: number) {}

  /** Whether to send an alert now; when it says yes the period starts again. */
  admit(cameraId: string | null, kind: string, now: number): boolean {
    if (cameraId === null || this.quietMs <= 0) return true;
    const key = `${cameraId}\u0000${kind}`;
    const last = this.lastSent.get(key);
    if (last !== undefined && now - last < this.quietMs && now >= last) return false;
    this.lastSent.set(key, now);
    if (this.lastSent.size > 10_000) {
      for (const [k, t] of this.lastSent) if (now - t >= this.quietMs) this.lastSent.delete(k);
    }
    return true;
  }
}
