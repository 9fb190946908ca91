/**
 * Settings -> Recognition (operators see, admins change): the naming threshold of each calibrated model and mode,
 * with what it means measured on LFW (enrolled people named correctly, named as someone else, strangers named). An
 * admin picks one of the measured thresholds; the recognizers apply it at once (GET/PUT/DELETE /api/v1/thresholds).
 */
import { useState } from "react";
import { del, get, put } from "../api.ts";
import type { GetThresholdsResponse, ModelThreshold } from "../api.gen.ts";
import { useCan } from "../session.tsx";
import { ActionsCell, ErrorBox, Loading, TableHead, formatDateTime, useAction, useLoad } from "../ui.tsx";

const pct = (v: number) => `${(v * 100).toFixed(v < 0.01 ? 2 : 1)}%`;
type Rates = ModelThreshold["effective"]["rates"];

function RatesText({ rates }: { rates: Rates }) {
  if (!rates) return <span className="muted">not measured at this value</span>;
  return (
    <span>
      strangers named <strong>{pct(rates.fpir)}</strong> · enrolled people named {pct(rates.dir)} · named as someone else{" "}
      {pct(rates.wrong)}
    </span>
  );
}

function ThresholdRow({ t, admin, onSaved }: { t: ModelThreshold; admin: boolean; onSaved: () => void }) {
  const id = `${t.model}-${t.mode}`;
  const [choice, setChoice] = useState(String(t.effective.threshold));
  const { busy, error, run: act } = useAction(onSaved);
  const points = t.calibration.points;
  const chosen = points.find((p) => String(p.threshold) === choice);
  const path = `/api/v1/thresholds/${encodeURIComponent(t.model)}/${t.mode}`;
  return (
    <tr data-testid={`threshold-${id}`}>
      <th scope="row">
        {t.model} <span className="muted">({t.mode === "flip" ? "with mirror image" : "single crop"})</span>
        {t.recognizerDefault && <span className="tag ok"> default</span>}
      </th>
      <td>
        <strong data-testid={`threshold-value-${id}`}>{t.effective.threshold.toFixed(3)}</strong>
        <div className="small">
          <RatesText rates={t.effective.rates} />
        </div>
        <div className="muted small">
          {t.override
            ? `set by ${t.override.updatedBy}, ${formatDateTime(t.override.updatedAt)} (tuned ${t.tuned.threshold.toFixed(3)})`
            : "the tuned value (1% of strangers named on LFW DevTrain)"}
        </div>
      </td>
      <ActionsCell shown={admin} error={error}>
        <label className="inline">
          <span className="sr-only">
            Threshold of {t.model} ({t.mode})
          </span>
          <select value={choice} onChange={(e) => setChoice(e.target.value)} data-testid={`threshold-select-${id}`}>
            {!chosen && <option value={choice}>{Number(choice).toFixed(3)}</option>}
            {points.map((p) => (
              <option key={p.threshold} value={String(p.threshold)}>
                {p.threshold.toFixed(3)}: strangers {pct(p.fpir)}, enrolled {pct(p.dir)}
              </option>
            ))}
          </select>
        </label>{" "}
        <button
          type="button"
          className="primary"
          disabled={busy || Number(choice) === t.effective.threshold}
          onClick={() => void act(() => put(path, { nameThreshold: Number(choice) }))}
          data-testid={`threshold-save-${id}`}
        >
          Apply
        </button>{" "}
        {t.override && (
          <button type="button" disabled={busy} onClick={() => void act(() => del(path))} data-testid={`threshold-reset-${id}`}>
            Back to tuned
          </button>
        )}
      </ActionsCell>
    </tr>
  );
}

export function Thresholds() {
  const admin = useCan("admin");
  const { data, error, reload } = useLoad(() => get<GetThresholdsResponse>("/api/v1/thresholds"), []);
  const first = data?.items[0];
  return (
    <section className="card wide" aria-labelledby="thresholds-title" data-testid="thresholds">
      <h2 id="thresholds-title">Recognition thresholds</h2>
      <p className="small">
        A face is named when it matches an enrolled person at least this well. Higher: fewer strangers get a name, more enrolled
        people stay unknown. Recognizers apply a change at once.
      </p>
      <ErrorBox error={error} />
      {!data && !error && <Loading />}
      {data && (
        <table>
          <TableHead columns={["Model", "Naming threshold and what it means", admin && "Change"]} />
          <tbody>
            {data.items.map((t) => (
              <ThresholdRow key={`${t.model}-${t.mode}-${t.effective.threshold}`} t={t} admin={admin} onSaved={reload} />
            ))}
          </tbody>
        </table>
      )}
      {first && (
        <p className="muted small">
          Measured {first.calibration.measuredAt} ({first.calibration.detector} detector): {first.calibration.protocol}.
          Reproduce: <code>{first.calibration.command}</code>.
        </p>
      )}
    </section>
  );
}
