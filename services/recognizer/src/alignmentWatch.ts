import type { ChipAlignment } from "@persona/contracts";
import type { Logger } from "@persona/runtime";

/**
 * Cameras and recognizers must align faces the same way (ALIGN_LANDMARKS and the detector on both): enrolled templates are aligned
 * by the recognizer, probes by the camera, and a chip aligned otherwise scores lower against every template. Each
 * FaceDetected says how its chip was aligned; this counts, per camera, the chips aligned otherwise than this
 * recognizer aligns enrollment photos, and warns once per camera. Chips without the field (older cameras) are not
 * counted.
 */
export class AlignmentWatch {
  readonly #mismatched = new Map<string, { alignment: ChipAlignment; chips: number }>();

  constructor(
    readonly own: ChipAlignment,
    private readonly log: Logger,
  ) {}

  observe(cameraId: string, alignment: ChipAlignment | undefined): void {
    if (alignment === undefined || alignment === this.own) return;
    const seen = this.#mismatched.get(cameraId);
    if (seen) {
      seen.chips++;
      seen.alignment = alignment;
      return;
    }
    this.#mismatched.set(cameraId, { alignment, chips: 1 });
    this.log.warn(
      { cameraId, camera: alignment, recognizer: this.own },
      `camera ${cameraId} aligns chips from ${describe(alignment)} but this recognizer enrolls from ${describe(this.own)}: ` +
        "recognition is weaker; set ALIGN_LANDMARKS alike on cameras and recognizers, and give both the same detector " +
        "(YuNet in PERSONA_SHARED_MODELS_DIR, or PERSONA_DETECTOR)",
    );
  }

  /** Cameras whose chips were aligned otherwise, with how many. */
  get mismatched(): Record<string, { alignment: ChipAlignment; chips: number }> {
    return Object.fromEntries([...this.#mismatched].map(([k, v]) => [k, { ...v }]));
  }
}

const describe = (a: ChipAlignment) =>
  a === "landmarks68" ? "68-point landmarks" : a === "keypoints5" ? "YuNet's five keypoints" : "the detector's four keypoints";
