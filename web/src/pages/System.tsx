/**
 * System (operators and admins): every service replica's readiness (its /readyz, read by the portal), the durable
 * consumers' lag, dead letters, the cameras' state and fps, the recognizers' throughput and the store's size, all from
 * GET /api/v1/system. A replica that does not answer shows as down.
 */
import { get } from "../api.ts";
import type { SystemStatus } from "../api.gen.ts";
import { ErrorBox, Loading, ListTable, TableHead, useLoad } from "../ui.tsx";

function bytes(n: number | null): string {
  if (n === null) return "unknown";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

const rate = (n: number | null) => (n === null ? "–" : n.toFixed(1));

function Replicas({ data }: { data: SystemStatus }) {
  return (
    <section className="card wide" aria-labelledby="replicas-title">
      <h2 id="replicas-title">Services</h2>
      <table data-testid="system-replicas">
        <TableHead columns={["Service", "Replica", "State", "Checks"]} />
        <tbody>
          {data.replicas.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No service health endpoints configured (PORTAL_SERVICE_HEALTH_URLS).
              </td>
            </tr>
          )}
          {data.replicas.map((r) => {
            const state = r.ready ? "ready" : r.reachable ? "not ready" : "down";
            return (
              <tr key={`${r.service}|${r.url}`} data-testid={`replica-${r.service}`} data-state={state}>
                <th scope="row">{r.service}</th>
                <td>{r.url}</td>
                <td className={r.ready ? "ok" : "bad"}>{state}</td>
                <td className="small">
                  {r.error ??
                    r.checks.map((c) => `${c.name}: ${c.ok ? "ok" : "failing"}${c.detail ? ` (${c.detail})` : ""}`).join("; ")}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h3>This portal</h3>
      <table data-testid="system-portal">
        <tbody>
          {data.services.map((s) => (
            <tr key={s.name}>
              <th scope="row">{s.name}</th>
              <td className={s.ready ? "ok" : "bad"}>{s.ready ? "ready" : "not ready"}</td>
              <td>{s.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Consumers({ data }: { data: SystemStatus }) {
  return (
    <section className="card wide" aria-labelledby="consumers-title">
      <h2 id="consumers-title">Consumers</h2>
      {data.natsError ? <p className="bad">{data.natsError}</p> : null}
      <table data-testid="system-consumers">
        <TableHead columns={["Stream", "Consumer", "Pending (lag)", "Unacknowledged", "Redelivered"]} />
        <tbody>
          {data.consumers.map((c) => (
            <tr key={`${c.stream}/${c.name}`}>
              <td>{c.stream}</td>
              <td>{c.name}</td>
              <td className={c.pending > 100 ? "bad" : undefined}>{c.pending}</td>
              <td>{c.ackPending}</td>
              <td>{c.redelivered}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        Dead letters: <strong data-testid="system-dead-letters">{data.deadLetters ?? "unknown"}</strong>
      </p>
    </section>
  );
}

function Cameras({ data }: { data: SystemStatus }) {
  return (
    <section className="card" aria-labelledby="cameras-title">
      <h2 id="cameras-title">Cameras</h2>
      <ListTable
        columns={["Camera", "State", "Role", "fps", "Frames processed"]}
        rows={data.cameras}
        empty={<p className="empty">No cameras known yet.</p>}
        testId="system-cameras"
        row={(c) => (
          <tr key={c.cameraId} data-testid={`system-camera-${c.cameraId}`}>
            <th scope="row">{c.cameraId}</th>
            <td className={c.status === "live" ? "ok" : "bad"} title={c.message}>
              {c.status}
            </td>
            <td>{c.role ?? "–"}</td>
            <td>{rate(c.fps)}</td>
            <td>{c.framesProcessed ?? "–"}</td>
          </tr>
        )}
      />
    </section>
  );
}

function Throughput({ data }: { data: SystemStatus }) {
  return (
    <section className="card" aria-labelledby="throughput-title">
      <h2 id="throughput-title">Recognizers</h2>
      <ListTable
        columns={["Replica", "Messages handled", "per second"]}
        rows={data.recognizers}
        empty={<p className="empty">No recognizer endpoint configured.</p>}
        testId="system-recognizers"
        row={(r) => (
          <tr key={r.url}>
            <th scope="row">{r.url}</th>
            <td className={r.reachable ? undefined : "bad"}>{r.reachable ? r.handled : "down"}</td>
            <td>{rate(r.perSecond)}</td>
          </tr>
        )}
      />
      <h2>Store</h2>
      <p data-testid="system-storage">
        {data.storage.kind}: <strong>{bytes(data.storage.bytes)}</strong>
        {data.storage.error ? <span className="bad"> ({data.storage.error})</span> : null}
      </p>
    </section>
  );
}

export function SystemPage() {
  const { data, error, reload } = useLoad(() => get<SystemStatus>("/api/v1/system"), []);
  return (
    <section>
      <h1>System</h1>
      <button type="button" onClick={reload} data-testid="system-refresh">
        Refresh
      </button>
      <p className="muted small">Rates (fps, messages per second) are measured between two refreshes.</p>
      <ErrorBox error={error} />
      {!data && !error && <Loading />}
      {data && (
        <div>
          <Replicas data={data} />
          <Consumers data={data} />
          <Cameras data={data} />
          <Throughput data={data} />
        </div>
      )}
    </section>
  );
}
