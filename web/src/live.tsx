/**
 * Live push: one socket.io connection per logged-in tab (same origin, session cookie). Pages subscribe to event
 * names (`LiveEvents` of api.gen.ts: each payload is a view the REST API also answers, e.g. `sighting` is a sighting
 * as GET /sightings lists it); `generation` grows on every reconnect so pages refetch once. No polling.
 */
import { type ReactNode, createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import { type Socket, io } from "socket.io-client";
import type { LiveEventName, LiveEvents } from "./api.gen.ts";

type Handler = (payload: unknown) => void;

interface LiveApi {
  connected: boolean;
  /** 0 on the first connection, +1 on every reconnection. */
  generation: number;
  subscribe(event: string, handler: Handler): () => void;
}

const LiveContext = createContext<LiveApi>({ connected: false, generation: 0, subscribe: () => () => undefined });

/**
 * `checkSession` is called when the server refuses or drops the connection (it does so when the session ended): it
 * resolves true while the session is still valid (the socket then connects again), false when it ended.
 */
export function LiveProvider({ children, checkSession }: { children: ReactNode; checkSession: () => Promise<boolean> }) {
  const handlers = useRef(new Map<string, Set<Handler>>());
  const socketRef = useRef<Socket | null>(null);
  const [connected, setConnected] = useState(false);
  const [generation, setGeneration] = useState(0);
  const checkSessionRef = useRef(checkSession);
  checkSessionRef.current = checkSession;

  useEffect(() => {
    const socket = io({ path: "/socket.io", withCredentials: true, transports: ["websocket", "polling"] });
    socketRef.current = socket;
    let connections = 0;
    socket.on("connect", () => {
      setConnected(true);
      if (connections++ > 0) setGeneration((g) => g + 1);
    });
    const recheck = () =>
      void checkSessionRef.current().then((valid) => {
        if (valid && !socket.connected) socket.connect();
      });
    socket.on("disconnect", (reason) => {
      setConnected(false);
      // the server closed it (session ended, or a replica shutting down): the client does not reconnect by itself
      if (reason === "io server disconnect") recheck();
    });
    socket.on("connect_error", (err) => {
      setConnected(false);
      if (err.message === "unauthorized") {
        socket.disconnect();
        recheck();
      }
    });
    socket.onAny((event: string, payload: unknown) => {
      const set = handlers.current.get(event);
      if (set) for (const h of [...set]) h(payload);
    });
    return () => {
      socket.removeAllListeners();
      socket.disconnect();
      socketRef.current = null;
    };
  }, []);

  const subscribe = useCallback((event: string, handler: Handler) => {
    let set = handlers.current.get(event);
    if (!set) {
      set = new Set();
      handlers.current.set(event, set);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }, []);
  const api = useMemo<LiveApi>(() => ({ connected, generation, subscribe }), [connected, generation, subscribe]);
  return <LiveContext.Provider value={api}>{children}</LiveContext.Provider>;
}

export function useLive(): LiveApi {
  return useContext(LiveContext);
}

/** Subscribes `handler` (latest closure) to `event` while mounted. */
export function useLiveEvent<E extends LiveEventName>(event: E, handler: (payload: LiveEvents[E]) => void): void {
  const { subscribe } = useLive();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => subscribe(event, (p) => ref.current(p as LiveEvents[E])), [subscribe, event]);
}
