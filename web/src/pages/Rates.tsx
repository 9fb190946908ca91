/**
 * Attendance rates per person across a session's series (or a group's sessions) over a period, as a bar chart with
 * the rates below the threshold (default 75%) highlighted; the same as CSV and PDF (GET .../rates, .csv, .pdf).
 */
import { useState } from "react";
import { get, qs } from "../api.ts";
import type { AttendanceRates } from "../api.gen.ts";
import { ChartFrame, ErrorBox, Loading, useLoad } from "../ui.tsx";

const pct = (v: number | null) => (v === null ? "–" : `${Math.round(v * 100)}%`);

function isoDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

export function RatesChart({ r }: { r: AttendanceRates }) {
  const bar = 20;
  const gap = 6;
  const labelW = 180;
  const width = 640;
  const rows = [...r.items].sort((a, b) => (a.rate ?? -1) - (b.rate ?? -1));
  const height = rows.length * (bar + gap) + 24;
  const x = (v: number) => labelW + (width - labelW - 60) * v;
  return (
    <ChartFrame width={width} height={height} label="Attendance rate per person" testId="rates-chart">
      {rows.map((p, i) => (
        <g key={p.personId} transform={`translate(0 ${i * (bar + gap)})`} data-below={p.below}>
          <text x={labelW - 8} y={bar * 0.7} textAnchor="end" className="chart-label">
            {(p.name ?? p.personId).slice(0, 24)}
          </text>
          <rect
            x={labelW}
            y={0}
            width={Math.max(2, x(p.rate ?? 0) - labelW)}
            height={bar}
            rx={3}
            className={p.below ? "chart-bar below" : "chart-bar"}
          >
            <title>{`${p.name ?? p.personId}: ${pct(p.rate)} (${p.attended} of ${p.expected}, ${p.late} late, ${p.excused} excused)`}</title>
          </rect>
          <text x={x(p.rate ?? 0) + 6} y={bar * 0.7} className="chart-label">
            {pct(p.rate)}
          </text>
        </g>
      ))}
      <line x1={x(r.threshold)} x2={x(r.threshold)} y1={0} y2={height - 20} className="chart-threshold" />
      <text x={x(r.threshold)} y={height - 6} textAnchor="middle" className="chart-label">
        {pct(r.threshold)}
      </text>
    </ChartFrame>
  );
}

/** `path`: "/api/v1/sessions/<id>/rates" or "/api/v1/groups/<id>/report". */
export function Rates({ path }: { path: string }) {
  const [from, setFrom] = useState(() => isoDay(Date.now() - 30 * 86_400_000));
  // to tomorrow: a session in a zone ahead of this browser may already be on tomorrow's date (only ended occurrences
  // count, so a later `to` adds nothing that has not happened)
  const [to, setTo] = useState(() => isoDay(Date.now() + 86_400_000));
  const query = qs({ from, to });
  const { data, error } = useLoad(() => get<AttendanceRates>(`${path}${query}`), [path, query]);
  return (
    <section className="card wide" aria-labelledby="rates-title" data-testid="rates">
      <h2 id="rates-title">Attendance rates</h2>
      <div className="row wrap">
        <label className="inline">
          from <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label className="inline">
          to <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <a href={`${path}.csv${query}`} download>
          CSV
        </a>
        <a href={`${path}.pdf${query}`} download>
          PDF
        </a>
      </div>
      <ErrorBox error={error} />
      {!data && !error && <Loading />}
      {data && (
        <>
          <p className="small">
            {data.occurrences} ended occurrence(s); mean {pct(data.meanRate)};{" "}
            <strong className={data.below.length > 0 ? "bad" : ""}>
              {data.below.length} below {pct(data.threshold)}
            </strong>{" "}
            (late counts as attended; excused occurrences are left out).
          </p>
          {data.items.length > 0 && <RatesChart r={data} />}
        </>
      )}
    </section>
  );
}
