/**
 * Search by photo (operators): upload a photo, see every face the portal found boxed on it, each with its best
 * matches in the library and the decision the recognizers would take (named / probable / unknown). POST /identify.
 */
import { type FormEvent, useEffect, useState } from "react";
import { ApiError, upload } from "../api.ts";
import type { IdentifiedFace, IdentifyDecision, IdentifyResult } from "../api.gen.ts";
import { Link } from "../router.tsx";
import { ErrorBox } from "../ui.tsx";

const COLOURS: Record<IdentifyDecision, string> = { named: "#1a9c4a", probable: "#d08a00", unknown: "#c0392b" };
const TAGS: Record<IdentifyDecision, string> = { named: "tag ok", probable: "tag probable", unknown: "tag danger" };

function Decision({ face }: { face: IdentifiedFace }) {
  return (
    <span className={TAGS[face.decision]} data-testid="search-decision">
      {face.decision}
    </span>
  );
}

function FaceCard({ face, n }: { face: IdentifiedFace; n: number }) {
  return (
    <li className="card" data-testid="search-face" style={{ borderLeft: `4px solid ${COLOURS[face.decision]}` }}>
      <p>
        <strong>Face {n}</strong> <Decision face={face} />{" "}
        {face.personId && face.name && (
          <Link to={`/people/${encodeURIComponent(face.personId)}`} data-testid="search-person">
            {face.name}
          </Link>
        )}
        {face.quality.gate && <span className="muted small"> (a camera would skip it: {face.quality.gate})</span>}
      </p>
      {face.matches.length === 0 ? (
        <p className="muted small">Nobody is enrolled yet.</p>
      ) : (
        <ol className="small" data-testid="search-matches">
          {face.matches.map((m) => (
            <li key={m.personId}>
              <Link to={`/people/${encodeURIComponent(m.personId)}`}>{m.name}</Link>{" "}
              <span className="muted">similarity {m.similarity.toFixed(3)}</span>
            </li>
          ))}
        </ol>
      )}
    </li>
  );
}

function Boxes({ result, src }: { result: IdentifyResult; src: string }) {
  const side = Math.max(result.width, result.height);
  const stroke = Math.max(1.5, side / 250);
  const font = side / 22;
  return (
    <div style={{ position: "relative", width: "min(100%, 36rem)", flex: "0 0 auto" }} data-testid="search-photo">
      <img
        src={src}
        alt={`What was searched: ${result.faces.length} face(s) found`}
        style={{ display: "block", width: "100%", height: "auto" }}
      />
      <svg
        viewBox={`0 0 ${result.width} ${result.height}`}
        style={{ position: "absolute", inset: 0, width: "100%", height: "100%" }}
        role="img"
        aria-label={`${result.faces.length} face(s) found`}
      >
        {result.faces.map((f, i) => (
          <g key={`${f.box.x},${f.box.y}`} data-testid="search-box">
            <rect
              x={f.box.x}
              y={f.box.y}
              width={f.box.width}
              height={f.box.height}
              fill="none"
              stroke={COLOURS[f.decision]}
              strokeWidth={stroke}
            />
            <text
              x={f.box.x + stroke * 2}
              y={f.box.y + font}
              fill={COLOURS[f.decision]}
              fontSize={font}
              fontWeight="bold"
              stroke="#fff"
              strokeWidth={stroke / 2}
              paintOrder="stroke"
            >
              {i + 1}
            </text>
          </g>
        ))}
      </svg>
    </div>
  );
}

export function Search() {
  const [file, setFile] = useState<File | null>(null);
  const [src, setSrc] = useState<string | null>(null);
  const [result, setResult] = useState<IdentifyResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!file) return;
    const url = URL.createObjectURL(file);
    setSrc(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    const form = new FormData();
    form.append("photo", file, file.name);
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const r = await upload<IdentifyResult | { error: { code: string; message: string } }>("POST", "/api/v1/identify", form);
      if (r.status === 422 || "error" in r.body) {
        const err = "error" in r.body ? r.body.error : { code: "no-face", message: "no face was found in the photo" };
        setError(new ApiError(r.status, err.code, err.message));
      } else setResult(r.body);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>Search by photo</h1>
      <p className="muted">
        Upload a photo: every face found is boxed, with the enrolled people it looks most like and what the recognizers would
        decide if a camera saw it once (named, probable or unknown).
      </p>
      <form className="card toolbar" onSubmit={submit} data-testid="search-form">
        <label>
          Photo{" "}
          <input
            type="file"
            accept="image/jpeg,image/png,image/webp,image/bmp"
            data-testid="search-file"
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setResult(null);
              setError(null);
            }}
          />
        </label>
        <button type="submit" className="primary" disabled={!file || busy} data-testid="search-submit">
          {busy ? "Searching…" : "Search"}
        </button>
      </form>
      <ErrorBox error={error} testId="search-error" />
      {result && src && (
        <div className="row" style={{ alignItems: "flex-start", flexWrap: "wrap", gap: "1rem" }} data-testid="search-result">
          <Boxes result={result} src={src} />
          <div style={{ flex: "1 1 18rem" }}>
            <p className="small muted" data-testid="search-summary">
              {result.faces.length} face(s), {result.gallery.people} people enrolled ({result.model}, {result.detector}),{" "}
              {Math.round(result.ms)} ms. Named at similarity ≥ {result.thresholds.singleShot.toFixed(3)}, probable at ≥{" "}
              {result.thresholds.probable.toFixed(3)}, with a lead of {result.thresholds.minMargin.toFixed(3)} over the next
              person.
            </p>
            <ol className="plain">
              {result.faces.map((f, i) => (
                <FaceCard key={`${f.box.x},${f.box.y}`} face={f} n={i + 1} />
              ))}
            </ol>
          </div>
        </div>
      )}
    </section>
  );
}
