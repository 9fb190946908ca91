import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** The portal (PORTAL_URL, default http://127.0.0.1:8080) serves /api and /socket.io; the dev server proxies them. */
const portal = process.env.PORTAL_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  server: {
    port: 5173,
    proxy: {
      "/api": { target: portal, changeOrigin: false },
      "/socket.io": { target: portal, ws: true, changeOrigin: false },
    },
  },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
});
