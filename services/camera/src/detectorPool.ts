/**
 * Face analysis with the models on worker threads, so the event loop (publishing, the live view, health checks)
 * never waits for inference: onnxruntime-node runs a tiled 720p frame synchronously for tens of milliseconds. The
 * pixel work around each run (OpenCV resizing and tensor filling, alignment, quality: a few ms a frame) stays on this
 * thread, which owns the OpenCV binding: it can be loaded by one thread of a process only. Runs go to the first idle
 * thread in arrival order (`InferencePool`); a thread that dies fails its run and is replaced.
 */
import { type FaceDetectorOptions, InferencePool, type RgbImage } from "@persona/vision";
import { type AnalysisOptions, type FaceAnalyzer, type FrameAnalysis, InlineAnalyzer } from "./analysis.ts";

export class DetectorPool implements FaceAnalyzer {
  private constructor(
    readonly threads: number,
    private readonly pool: InferencePool,
    private readonly analyzer: InlineAnalyzer,
  ) {}

  /** Starts `threads` inference threads and loads the models on each (a load failure rejects). */
  static async create(threads: number, detector: FaceDetectorOptions, analysis: AnalysisOptions): Promise<DetectorPool> {
    const pool = await InferencePool.create(threads);
    try {
      return new DetectorPool(threads, pool, await InlineAnalyzer.create({ ...detector, host: pool }, analysis));
    } catch (err) {
      await pool.close();
      throw err;
    }
  }

  analyze(frame: RgbImage): Promise<FrameAnalysis> {
    return this.analyzer.analyze(frame);
  }

  async close(): Promise<void> {
    await this.analyzer.close();
    await this.pool.close();
  }
}
