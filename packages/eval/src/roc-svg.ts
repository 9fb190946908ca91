/** ROC curves as a hand-written SVG (no plotting dependency). */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { RocCurve, RocPoint } from "./metrics.ts";

export interface RocSeries {
  readonly label: string;
  readonly curve: RocCurve | readonly RocPoint[];
}

export interface RocSvgOptions {
  title?: string;
  /** Log-scale FAR axis (default true); its left end is `farMin`. */
  logFar?: boolean;
  /** Left end of a log FAR axis. Default 1e-4. */
  farMin?: number;
  /** Bottom of the TAR axis. Default 0 (use e.g. 0.8 to zoom on good models). */
  tarMin?: number;
  width?: number;
  height?: number;
  /** Marked vertical line, e.g. the FAR of a reported TAR. Default 1e-3 (none if null). */
  markFar?: number | null;
}

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];
/** Dash patterns for series beyond the colour list. */
const DASHES = ["", "6 3", "2 2"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Renders one or more ROC curves (TAR against FAR) as an SVG document. */
export function renderRocSvg(series: RocSeries | readonly RocSeries[], options: RocSvgOptions = {}): string {
  const list: readonly RocSeries[] = Array.isArray(series) ? series : [series as RocSeries];
  const W = options.width ?? 640;
  const H = options.height ?? 480;
  const logFar = options.logFar ?? true;
  const farMin = options.farMin ?? 1e-4;
  const tarMin = options.tarMin ?? 0;
  if (logFar && !(farMin > 0 && farMin < 1)) throw new RangeError(`farMin must be in (0, 1), got ${farMin}`);
  if (!(tarMin >= 0 && tarMin < 1)) throw new RangeError(`tarMin must be in [0, 1), got ${tarMin}`);
  const m = { l: 60, r: 20, t: options.title ? 36 : 16, b: 48 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const lf0 = Math.log10(farMin);
  const fx = (far: number): number => {
    if (!logFar) return m.l + far * pw;
    const v = Math.max(far, farMin);
    return m.l + ((Math.log10(v) - lf0) / -lf0) * pw;
  };
  const fy = (tar: number): number => m.t + (1 - (Math.max(tar, tarMin) - tarMin) / (1 - tarMin)) * ph;
  const f1 = (v: number) => v.toFixed(1);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  if (options.title)
    out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(options.title)}</text>`);
  // grid and ticks
  const xt: { v: number; label: string }[] = [];
  if (logFar) for (let e = Math.ceil(lf0); e <= 0; e++) xt.push({ v: 10 ** e, label: e === 0 ? "1" : `1e${e}` });
  else for (let i = 0; i <= 10; i += 2) xt.push({ v: i / 10, label: (i / 10).toFixed(1) });
  for (const t of xt) {
    const x = f1(fx(t.v));
    out.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${m.t + ph}" stroke="#ddd"/>`);
    out.push(`<text x="${x}" y="${m.t + ph + 16}" text-anchor="middle">${t.label}</text>`);
  }
  const yStep = 1 - tarMin <= 0.25 ? 0.05 : 0.1;
  for (let v = Math.ceil(tarMin / yStep) * yStep; v <= 1 + 1e-9; v += yStep) {
    const y = f1(fy(v));
    out.push(`<line x1="${m.l}" y1="${y}" x2="${m.l + pw}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${m.l - 6}" y="${Number(y) + 4}" text-anchor="end">${v.toFixed(2)}</text>`);
  }
  const mark = options.markFar === undefined ? 1e-3 : options.markFar;
  if (mark !== null && mark > (logFar ? farMin : 0) && mark <= 1) {
    const x = f1(fx(mark));
    out.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${m.t + ph}" stroke="#888" stroke-dasharray="4 3"/>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(
    `<text x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle">False accept rate${logFar ? " (log scale)" : ""}</text>`,
  );
  out.push(`<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">True accept rate</text>`);
  // curves, collapsing points closer than half a pixel
  const legendW = Math.min(pw - 10, 40 + 6.6 * Math.max(...list.map((x) => x.label.length)));
  const legendH = 8 + 18 * list.length;
  const lx0 = m.l + pw - legendW - 6;
  const ly0 = m.t + ph - legendH - 6;
  const legend: string[] = [
    `<rect x="${f1(lx0)}" y="${f1(ly0)}" width="${f1(legendW)}" height="${legendH}" fill="white" fill-opacity="0.9" stroke="#bbb"/>`,
  ];
  list.forEach((s, i) => {
    const pts = "points" in s.curve ? s.curve.points : s.curve;
    const colour = COLOURS[i % COLOURS.length] as string;
    const dash = DASHES[Math.floor(i / COLOURS.length) % DASHES.length] as string;
    const dashAttr = dash ? ` stroke-dasharray="${dash}"` : "";
    const d: string[] = [];
    let px = Number.NaN;
    let py = Number.NaN;
    for (const p of pts) {
      const x = fx(p.far);
      const y = fy(p.tar);
      if (Math.abs(x - px) < 0.5 && Math.abs(y - py) < 0.5) continue;
      d.push(`${d.length ? "L" : "M"}${f1(x)} ${f1(y)}`);
      px = x;
      py = y;
    }
    out.push(`<path d="${d.join("")}" fill="none" stroke="${colour}" stroke-width="1.8"${dashAttr}/>`);
    const y = ly0 + 16 + 18 * i;
    legend.push(
      `<line x1="${f1(lx0 + 8)}" y1="${y - 4}" x2="${f1(lx0 + 32)}" y2="${y - 4}" stroke="${colour}" stroke-width="3"${dashAttr}/>`,
    );
    legend.push(`<text x="${f1(lx0 + 38)}" y="${y}">${esc(s.label)}</text>`);
  });
  out.push(...legend);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/** Writes `renderRocSvg(series, options)` to `path` (parent directories created). */
export async function writeRocSvg(
  path: string,
  series: RocSeries | readonly RocSeries[],
  options: RocSvgOptions = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderRocSvg(series, options));
}
