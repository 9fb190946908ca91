/**
 * The frame around every page: navigation (links the role may use), connection state, the user, the alert
 * notifications (sound + banner on a raised alert, wherever the operator is) and the greeting player.
 */
import { useEffect, useRef, useState } from "react";
import { soundUrl } from "./api.ts";
import { beep } from "./beep.ts";
import { useLive, useLiveEvent } from "./live.tsx";
import { Alerts } from "./pages/Alerts.tsx";
import { Attendance } from "./pages/Attendance.tsx";
import { Dashboard } from "./pages/Dashboard.tsx";
import { Cameras } from "./pages/Cameras.tsx";
import { Groups } from "./pages/Groups.tsx";
import { Occurrence } from "./pages/Occurrence.tsx";
import { SessionDetail, Sessions } from "./pages/Sessions.tsx";
import { Live } from "./pages/Live.tsx";
import { People } from "./pages/People.tsx";
import { Search } from "./pages/Search.tsx";
import { PersonDetail } from "./pages/PersonDetail.tsx";
import { Settings } from "./pages/Settings.tsx";
import { SystemPage } from "./pages/System.tsx";
import { Unknowns } from "./pages/Unknowns.tsx";
import { Users } from "./pages/Users.tsx";
import { Visitors } from "./pages/Visitors.tsx";
import { usePrefs } from "./prefs.ts";
import { Link, useLocation } from "./router.tsx";
import { roleAtLeast, useSession } from "./session.tsx";
import { invalidatePerson } from "./ui.tsx";

const NAV = [
  { to: "/", label: "Dashboard", min: "viewer" },
  { to: "/live", label: "Live", min: "viewer" },
  { to: "/cameras", label: "Cameras", min: "viewer" },
  { to: "/people", label: "People", min: "viewer" },
  { to: "/search", label: "Search", min: "operator" },
  { to: "/unknowns", label: "Unknowns", min: "viewer" },
  { to: "/visitors", label: "Visitors", min: "viewer" },
  { to: "/alerts", label: "Alerts", min: "viewer" },
  { to: "/attendance", label: "Attendance", min: "viewer" },
  { to: "/sessions", label: "Sessions", min: "viewer" },
  { to: "/groups", label: "Groups", min: "viewer" },
  { to: "/users", label: "Users", min: "admin" },
  { to: "/system", label: "System", min: "operator" },
  { to: "/settings", label: "Settings", min: "viewer" },
] as const;

interface Toast {
  id: string;
  severity: string;
  message: string;
}

function page(path: string) {
  const person = /^\/people\/([^/]+)$/.exec(path);
  if (person) return <PersonDetail personId={decodeURIComponent(person[1] as string)} />;
  const occurrence = /^\/sessions\/([^/]+)\/(\d{4}-\d{2}-\d{2})$/.exec(path);
  if (occurrence) return <Occurrence sessionId={decodeURIComponent(occurrence[1] as string)} date={occurrence[2] as string} />;
  const session = /^\/sessions\/([^/]+)$/.exec(path);
  if (session) return <SessionDetail sessionId={decodeURIComponent(session[1] as string)} />;
  const camera = /^\/live\/([^/]+)$/.exec(path);
  if (camera) return <Live cameraId={decodeURIComponent(camera[1] as string)} />;
  switch (path) {
    case "/":
      return <Dashboard />;
    case "/live":
      return <Live />;
    case "/cameras":
      return <Cameras />;
    case "/sessions":
      return <Sessions />;
    case "/groups":
      return <Groups />;
    case "/people":
      return <People />;
    case "/search":
      return <Search />;
    case "/unknowns":
      return <Unknowns />;
    case "/visitors":
      return <Visitors />;
    case "/alerts":
      return <Alerts />;
    case "/attendance":
      return <Attendance />;
    case "/users":
      return <Users />;
    case "/system":
      return <SystemPage />;
    case "/settings":
      return <Settings />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            There is no page at {path}. <Link to="/">Back to the dashboard</Link>.
          </p>
        </section>
      );
  }
}

export function Layout() {
  const { user, logout } = useSession();
  const { connected } = useLive();
  const { path } = useLocation();
  const [prefs] = usePrefs();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [menuOpen, setMenuOpen] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  const audioRef = useRef<HTMLAudioElement>(null);

  // move focus to the page on navigation (keyboard and screen-reader users land on the new content); not when the
  // console first opens, where the first Tab must reach the skip link (focus in the page skipped past it to whatever
  // the page's first link was)
  const navigated = useRef(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on path changes
  useEffect(() => {
    setMenuOpen(false);
    if (navigated.current) mainRef.current?.focus({ preventScroll: true });
    navigated.current = true;
  }, [path]);

  useLiveEvent("alert", ({ change, alert }) => {
    const id = alert.alertId;
    if (change === "acknowledged") setToasts((t) => t.filter((x) => x.id !== id));
    if (change !== "raised") return;
    if (prefs.alertSound) beep(alert.severity);
    setToasts((t) => [{ id, severity: alert.severity, message: alert.message }, ...t].slice(0, 5));
    // low and medium banners go after a minute; high and critical stay until dismissed or acknowledged
    if (alert.severity === "low" || alert.severity === "medium") {
      setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), 60_000);
    }
  });
  useLiveEvent("person", (p) => invalidatePerson(p.personId));
  useLiveEvent("greeting", (g) => {
    const audio = audioRef.current;
    if (!prefs.greetings || !audio || !g.soundKey) return;
    audio.src = soundUrl(g.soundKey);
    audio.dataset.person = g.name;
    void audio.play().catch(() => undefined);
  });

  const links = NAV.filter((n) => roleAtLeast(user.role, n.min));
  const active = (to: string) => (to === "/" ? path === "/" : path === to || path.startsWith(`${to}/`));

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Persona-ID</span>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          Menu
        </button>
        <nav id="nav" aria-label="Main" className={menuOpen ? "open" : ""} data-testid="nav">
          {links.map((n) => (
            <Link
              key={n.to}
              to={n.to}
              aria-current={active(n.to) ? "page" : undefined}
              data-testid={`nav-${n.label.toLowerCase()}`}
            >
              {n.label}
            </Link>
          ))}
        </nav>
        <span className={`conn ${connected ? "ok" : "down"}`} role="status" data-testid="connection">
          {connected ? "live" : "reconnecting…"}
        </span>
        <span className="who" data-testid="whoami">
          {user.username} <small>({user.role})</small>
        </span>
        <button type="button" onClick={() => void logout()} data-testid="logout">
          Log out
        </button>
      </header>
      <div className="toasts" aria-live="assertive" data-testid="toasts">
        {toasts.map((t) => (
          <div key={t.id} className={`toast sev-${t.severity}`} role="alert" data-testid="alert-toast" data-severity={t.severity}>
            <strong>{t.severity.toUpperCase()}</strong> {t.message}
            <span className="toast-actions">
              <Link to="/alerts">Open alerts</Link>
              <button
                type="button"
                aria-label="Dismiss notification"
                onClick={() => setToasts((all) => all.filter((x) => x.id !== t.id))}
              >
                ×
              </button>
            </span>
          </div>
        ))}
      </div>
      {/* biome-ignore lint/a11y/useMediaCaption: greetings are short sounds (names are shown on the dashboard) */}
      <audio ref={audioRef} data-testid="greeting-audio" hidden />
      <main id="main" ref={mainRef} tabIndex={-1}>
        {page(path)}
      </main>
    </div>
  );
}
