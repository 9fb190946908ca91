import { resolve } from "node:path";
import { decodeEmbedding } from "@persona/library";
import { configSchema as recognizerConfig, voteOptions } from "@persona/service-recognizer";
import {
  Embedder,
  FaceDetector,
  Gallery,
  ImageDecodeError,
  LandmarkDetector,
  decodeImage,
  detectAndAlign,
  embedderSpec,
} from "@persona/vision";
import { connectCli } from "../client/connect.ts";
import { replayLibrary } from "../client/libraryReplay.ts";
import { NatsUnavailableError, UsageError } from "../errors.ts";
import { type Output, stdio } from "../output.ts";

export interface IdentifyArgs {
  images: string[];
  json: boolean;
  offline: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface IdentifiedFace {
  box: { x: number; y: number; width: number; height: number };
  detectorScore: number;
  quality: { score: number; faceSize: number; eyeDistance: number; sharpness: number; gate: string | null };
  decision: "known" | "unknown";
  personId: string | null;
  name: string | null;
  similarity: number | null;
  margin: number | null;
  reason: string | null;
}

export interface IdentifiedImage {
  file: string;
  width: number | null;
  height: number | null;
  error: string | null;
  faces: IdentifiedFace[];
}

export async function identifyCommand(args: IdentifyArgs, out: Output = stdio()): Promise<number> {
  if (args.images.length === 0) throw new UsageError("usage: persona identify IMAGE... [--json]");
  const env = args.env ?? process.env;
  const settings = recognizerConfig.parse(
    Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith("RECOGNIZER_") || k === "ALIGN_LANDMARKS")),
  );
  const spec = embedderSpec(settings.RECOGNIZER_MODEL);
  const embedder = await Embedder.create({ model: spec, flip: settings.RECOGNIZER_FLIP });
  const detector = await FaceDetector.create();
  if (detector.note) process.stderr.write(`identify: ${detector.note}\n`);
  // aligned as the recognizers align enrollment photos (ALIGN_LANDMARKS)
  const landmarks = settings.ALIGN_LANDMARKS === "auto" && embedder.template.landmarks68 ? await LandmarkDetector.create() : null;
  const modelName = settings.RECOGNIZER_FLIP ? `${spec.name}+flip` : spec.name;
  const vote = voteOptions(settings, spec);
  const gallery = new Gallery({ dims: embedder.dims });
  const names = new Map<string, string>();
  try {
    if (!args.offline) {
      let bus: Awaited<ReturnType<typeof connectCli>>;
      try {
        bus = await connectCli({ env });
      } catch (err) {
        if (err instanceof NatsUnavailableError)
          throw new NatsUnavailableError(`${err.message} (or use --offline)`, 1, { cause: err });
        throw err;
      }
      try {
        const library = await replayLibrary(bus);
        for (const p of library.state.people.values()) {
          names.set(p.personId, p.name);
          for (const t of p.templates.values())
            if (t.model === modelName) gallery.add(p.personId, decodeEmbedding(t.embeddingBase64, t.dims), t.templateId);
        }
      } finally {
        await bus.close();
      }
      if (!args.json) out.stderr(`library: ${names.size} people, ${gallery.size} templates of ${modelName}\n`);
    }
    const results: IdentifiedImage[] = [];
    for (const file of args.images) {
      const r: IdentifiedImage = { file: resolve(file), width: null, height: null, error: null, faces: [] };
      try {
        const img = await decodeImage(file);
        r.width = img.width;
        r.height = img.height;
        const faces = await detectAndAlign(img, { detector, template: embedder.template, landmarks });
        const embeddings = faces.length > 0 ? await embedder.embed(faces.map((f) => f.chip)) : [];
        for (const [i, f] of faces.entries()) {
          const e = embeddings[i] as Float32Array;
          const d = gallery.decide(e, { threshold: vote.nameThreshold, minMargin: vote.minMargin });
          const best = d.kind === "known" ? d : d.best;
          r.faces.push({
            box: { x: f.box.x, y: f.box.y, width: f.box.width, height: f.box.height },
            detectorScore: f.score,
            quality: {
              score: f.quality.score,
              faceSize: f.quality.faceSize,
              eyeDistance: f.quality.eyeDistance,
              sharpness: f.quality.sharpness,
              gate: f.gate.pass ? null : f.gate.reason,
            },
            decision: d.kind,
            personId: d.kind === "known" ? d.personId : null,
            name: d.kind === "known" ? (names.get(d.personId) ?? d.personId) : null,
            similarity: best ? best.similarity : null,
            margin: d.margin,
            reason: d.kind === "unknown" ? d.reason : null,
          });
        }
      } catch (err) {
        if (!(err instanceof ImageDecodeError)) throw err;
        r.error = err.message;
      }
      results.push(r);
    }
    if (args.json) out.stdout(`${JSON.stringify({ version: 1, model: modelName, images: results }, null, 2)}\n`);
    else {
      for (const r of results) {
        if (r.error) {
          out.stdout(`${r.file}: ERROR ${r.error}\n`);
          continue;
        }
        out.stdout(`${r.file}: ${r.faces.length} face(s)\n`);
        for (const f of r.faces) {
          const who = f.decision === "known" ? `${f.name} (${f.personId})` : `unknown${f.reason ? ` [${f.reason}]` : ""}`;
          const sim = f.similarity === null ? "" : ` similarity ${f.similarity.toFixed(3)}`;
          out.stdout(
            `  [${Math.round(f.box.x)},${Math.round(f.box.y)} ${Math.round(f.box.width)}x${Math.round(f.box.height)}] q ${f.quality.score.toFixed(2)}${f.quality.gate ? ` (${f.quality.gate})` : ""}  ${who}${sim}\n`,
          );
        }
      }
    }
    return results.some((r) => r.error) ? 1 : 0;
  } finally {
    await embedder.dispose();
    await detector.dispose();
    await landmarks?.dispose();
  }
}
