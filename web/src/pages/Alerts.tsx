/**
 * The alerts console: open, acknowledged and resolved alerts; new ones pushed (`alert`, raised: highlighted; the
 * layout beeps and shows a banner), acknowledged and resolved with who and when.
 */
import { useEffect, useState } from "react";
import { cropUrl, errorText, get, post, qs } from "../api.ts";
import type { Alert, AlertStatus, GetAlertsResponse } from "../api.gen.ts";
import { useLiveEvent } from "../live.tsx";
import { useCan } from "../session.tsx";
import { Empty, ErrorBox, Loading, Tabs, formatDateTime, useLoad } from "../ui.tsx";

interface Row extends Alert {
  src: string | null;
  fresh?: boolean;
}

const rowOf = (a: Alert, fresh: boolean): Row => ({ ...a, src: a.cropKey ? cropUrl(a.cropKey) : null, fresh });

const TABS: { status: AlertStatus | "all"; label: string }[] = [
  { status: "open", label: "Open" },
  { status: "acknowledged", label: "Acknowledged" },
  { status: "resolved", label: "Resolved" },
  { status: "all", label: "All" },
];

export function Alerts() {
  const canAct = useCan("operator");
  const [tab, setTab] = useState<AlertStatus | "all">("open");
  const { data, error } = useLoad(
    () => get<GetAlertsResponse>(`/api/v1/alerts${qs({ status: tab === "all" ? undefined : tab, limit: 200 })}`),
    [tab],
  );
  const [rows, setRows] = useState<Row[]>([]);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  useEffect(() => {
    if (data) setRows(data.items.map((a) => rowOf(a, false)));
  }, [data]);

  const update = (alertId: string, patch: Partial<Row>) =>
    setRows((list) => list.map((r) => (r.alertId === alertId ? { ...r, ...patch } : r)));

  // a raised alert is added (highlighted) where the tab shows open ones; an acknowledged or resolved one is updated
  useLiveEvent("alert", ({ change, alert }) => {
    if (change !== "raised") update(alert.alertId, { ...alert, fresh: false });
    else if (tab === "open" || tab === "all") {
      const row = rowOf(alert, true);
      setRows((list) => (list.some((r) => r.alertId === row.alertId) ? list : [row, ...list]));
    }
  });

  const act = async (alertId: string, action: "ack" | "resolve") => {
    setBusy(alertId);
    setActionError(null);
    try {
      const a = await post<Alert>(`/api/v1/alerts/${encodeURIComponent(alertId)}/${action}`);
      if (a && typeof a === "object" && "status" in a) update(alertId, { ...a, fresh: false });
    } catch (err) {
      setActionError(errorText(err));
    } finally {
      setBusy(null);
    }
  };

  // the list is what the tab loaded plus pushes; an alert acknowledged here stays in view with its new status
  const shown = rows;
  return (
    <section>
      <h1>Alerts</h1>
      <Tabs label="Show alerts by status" tabs={TABS} value={tab} onChange={setTab} testId="alerts-tab" />
      <ErrorBox error={error} />
      {actionError && (
        <div className="error" role="alert">
          {actionError}
        </div>
      )}
      {!data && !error && <Loading />}
      {data && shown.length === 0 && <Empty testId="alerts-empty">No {tab === "all" ? "" : tab} alerts.</Empty>}
      <ul className="plain alert-list" data-testid="alerts">
        {shown.map((a) => (
          <AlertItem key={a.alertId} a={a} canAct={canAct} busy={busy === a.alertId} act={act} />
        ))}
      </ul>
    </section>
  );
}

/** One alert: its crop, severity, kind, status, message, when and where; the operator's acknowledge and resolve. */
function AlertItem({
  a,
  canAct,
  busy,
  act,
}: {
  a: Row;
  canAct: boolean;
  busy: boolean;
  act: (alertId: string, action: "ack" | "resolve") => Promise<void>;
}) {
  return (
    <li
      className={`alert card sev-${a.severity}${a.fresh ? " fresh" : ""}`}
      data-testid="alert"
      data-alert-id={a.alertId}
      data-severity={a.severity}
      data-kind={a.kind}
      data-status={a.status}
    >
      {a.src ? <img src={a.src} alt="Face that raised the alert" /> : <div className="noimg">no image</div>}
      <div className="alert-body">
        <div>
          <span className={`sev sev-${a.severity}`}>{a.severity}</span> <span className="tag">{a.kind}</span>{" "}
          <span className="status">{a.status}</span>
        </div>
        <p className="alert-message" data-testid="alert-message">
          {a.message}
        </p>
        <div className="small muted">
          raised {formatDateTime(a.raisedAt)}
          {a.cameraId && ` at ${a.cameraId}`}
          {a.acknowledgedBy && ` · acknowledged by ${a.acknowledgedBy} ${formatDateTime(a.acknowledgedAt)}`}
          {a.resolvedAt && ` · resolved ${formatDateTime(a.resolvedAt)}`}
        </div>
      </div>
      {canAct && a.status !== "resolved" && (
        <div className="alert-actions">
          {a.status === "open" && (
            <button
              type="button"
              className="primary"
              disabled={busy}
              onClick={() => void act(a.alertId, "ack")}
              data-testid="alert-ack"
            >
              Acknowledge
            </button>
          )}
          <button type="button" disabled={busy} onClick={() => void act(a.alertId, "resolve")} data-testid="alert-resolve">
            Resolve
          </button>
        </div>
      )}
    </li>
  );
}
