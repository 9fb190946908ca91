/** Attendance per day: a table, a bar chart of time in view per person (SVG), CSV export. */
import { useState } from "react";
import { get, qs } from "../api.ts";
import type { AttendanceRow, GetAttendanceResponse } from "../api.gen.ts";
import { mergeAttendance } from "../attendance.ts";
import { useLiveEvent } from "../live.tsx";
import { ChartFrame, Empty, ErrorBox, Loading, TableHead, formatDuration, formatTime, useLoad } from "../ui.tsx";

function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export function Chart({ rows }: { rows: AttendanceRow[] }) {
  const bar = 22;
  const gap = 6;
  const labelW = 160;
  const width = 640;
  const max = Math.max(60, ...rows.map((r) => r.secondsInView));
  const height = rows.length * (bar + gap) + 24;
  const sorted = [...rows].sort((a, b) => b.secondsInView - a.secondsInView);
  return (
    <ChartFrame width={width} height={height} label="Time in view per person" testId="attendance-chart">
      {sorted.map((r, i) => {
        const y = i * (bar + gap);
        const w = Math.max(2, ((width - labelW - 90) * r.secondsInView) / max);
        return (
          <g key={r.personId} transform={`translate(0 ${y})`}>
            <text x={labelW - 8} y={bar * 0.7} textAnchor="end" className="chart-label">
              {r.name.length > 22 ? `${r.name.slice(0, 21)}…` : r.name}
            </text>
            <rect x={labelW} y={0} width={w} height={bar} rx={3} className="chart-bar">
              <title>{`${r.name}: ${formatDuration(r.secondsInView)}`}</title>
            </rect>
            <text x={labelW + w + 6} y={bar * 0.7} className="chart-value">
              {formatDuration(r.secondsInView)}
            </text>
          </g>
        );
      })}
    </ChartFrame>
  );
}

export function Attendance() {
  const [day, setDay] = useState(today);
  const { data, error } = useLoad(() => get<GetAttendanceResponse>(`/api/v1/attendance${qs({ day })}`), [day]);
  // a concluded track changes its person's rows: pushed (`attendance`), the latest per person and day kept, and shown
  // over what was loaded when newer (no refetch, no polling)
  const [pushed, setPushed] = useState<AttendanceRow[]>([]);
  useLiveEvent("attendance", (p) =>
    setPushed((cur) => [...cur.filter((r) => !p.items.some((n) => n.personId === r.personId && n.day === r.day)), ...p.items]),
  );

  const rows = data ? mergeAttendance(data.items, pushed, day) : [];
  return (
    <section>
      <h1>Attendance</h1>
      <div className="row toolbar">
        <label>
          Day
          <input
            type="date"
            value={day}
            required
            onChange={(e) => e.target.value && setDay(e.target.value)}
            data-testid="attendance-day"
          />
        </label>
        <a
          className="button"
          href={`/api/v1/attendance.csv${qs({ from: day, to: day })}`}
          download={`attendance-${day}.csv`}
          data-testid="attendance-csv"
        >
          Download CSV
        </a>
      </div>
      <ErrorBox error={error} />
      {!data && !error && <Loading />}
      {data && rows.length === 0 && <Empty testId="attendance-empty">Nobody was recognised on {day}.</Empty>}
      {rows.length > 0 && (
        <>
          <Chart rows={rows} />
          <table data-testid="attendance-table">
            <TableHead columns={["Name", "First seen", "Last seen", "Time in view"]} />
            <tbody>
              {rows.map((r) => (
                <tr key={r.personId}>
                  <td>{r.name}</td>
                  <td>{formatTime(r.firstSeen)}</td>
                  <td>{formatTime(r.lastSeen)}</td>
                  <td>{formatDuration(r.secondsInView)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
