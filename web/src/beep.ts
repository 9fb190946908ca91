/** The alert sound: a short two-tone beep through WebAudio (no sound file). Louder and longer for high severities. */

let ctx: AudioContext | null = null;
/** How many beeps were started in this page (the e2e tests read it from the alerts console). */
export let beepCount = 0;

export function beep(severity: string): void {
  try {
    ctx ??= new AudioContext();
    if (ctx.state === "suspended") void ctx.resume();
    const urgent = severity === "high" || severity === "critical";
    const tones = urgent ? [880, 660, 880, 660] : [660, 880];
    const t0 = ctx.currentTime;
    for (const [i, freq] of tones.entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.value = freq;
      const start = t0 + i * 0.18;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(urgent ? 0.25 : 0.12, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + 0.17);
    }
    beepCount++;
    document.documentElement.dataset.beeps = String(beepCount);
  } catch {
    // no audio device or WebAudio: the visual notification remains
  }
}
