/** The console shell: session check, login, the navigation and the pages. */
import { useCallback, useEffect, useState } from "react";
import { ApiError, get, post, setCsrfToken, setUnauthorizedHandler } from "./api.ts";
import type { Me, User } from "./api.gen.ts";
import { Layout } from "./Layout.tsx";
import { LiveProvider } from "./live.tsx";
import { Login } from "./pages/Login.tsx";
import { navigate } from "./router.tsx";
import { SessionContext } from "./session.tsx";
import { invalidatePerson } from "./ui.tsx";

type State = { kind: "checking" } | { kind: "anonymous"; reason?: string } | { kind: "in"; user: User };

export function App() {
  const [state, setState] = useState<State>({ kind: "checking" });

  const signedIn = useCallback((user: User, csrfToken: string) => {
    setCsrfToken(csrfToken);
    invalidatePerson();
    setState({ kind: "in", user });
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      setState({ kind: "anonymous", reason: "Your session ended. Please log in again." });
    });
    get<Me>("/api/v1/auth/me").then(
      (r) => signedIn(r.user, r.csrfToken),
      () => setState({ kind: "anonymous" }),
    );
    return () => setUnauthorizedHandler(null);
  }, [signedIn]);

  const logout = useCallback(async () => {
    try {
      await post("/api/v1/auth/logout");
    } finally {
      setCsrfToken(null);
      setState({ kind: "anonymous" });
      navigate("/", true);
    }
  }, []);

  /** The socket was refused or dropped: is the session still valid? If not, back to the login page. */
  const checkSession = useCallback(async () => {
    try {
      const r = await get<Me>("/api/v1/auth/me");
      setCsrfToken(r.csrfToken);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setCsrfToken(null);
        setState({ kind: "anonymous", reason: "Your session ended. Please log in again." });
        return false;
      }
      // the portal is down: socket.io keeps retrying by itself, and we retry the check in a while
      await new Promise((r) => setTimeout(r, 3000));
      return checkSession();
    }
  }, []);

  if (state.kind === "checking") return <p className="loading centered">Loading…</p>;
  if (state.kind === "anonymous") return <Login onLoggedIn={signedIn} {...(state.reason ? { notice: state.reason } : {})} />;
  return (
    <SessionContext.Provider value={{ user: state.user, logout }}>
      {/* keyed by user: a new login gets a new socket (the server checks the session cookie on connect) */}
      <LiveProvider key={state.user.username} checkSession={checkSession}>
        <Layout />
      </LiveProvider>
    </SessionContext.Provider>
  );
}
