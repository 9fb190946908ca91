/** The live view's drawing: boxes and labels as an SVG layer that sharp composites over the frame. Pure. */
import type { Box } from "@persona/vision";

export interface OverlayItem {
  readonly box: Box;
  /** Text above the box, or null for none. */
  readonly label: string | null;
  /** CSS colour of the box and the label's background. */
  readonly color: string;
  /** Line width (px). */
  readonly lineWidth: number;
}

/** Colours by what is known of a track. */
export const OVERLAY_COLORS = {
  /** a confirmed name */
  confirmed: "#22c55e",
  /** a probable name */
  probable: "#84cc16",
  /** recognizers say unknown */
  unknown: "#ef4444",
  /** confirmed track, no answer yet */
  pending: "#facc15",
  /** not confirmed yet (may be a false detection) */
  tentative: "#9ca3af",
} as const;

/** Characters XML 1.0 does not allow (control characters, lone surrogates, U+FFFE/U+FFFF): dropped from labels. */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text safe inside an SVG element, whatever string a name holds (a control character made the renderer fail). */
export function escapeXml(s: string): string {
  return s
    .replace(NOT_XML, "")
    .replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c);
}

const n = (v: number) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : 0);

/**
 * An SVG of the frame's size with each item's box and, when `text` is true, its label on a filled tab above the box
 * (inside the frame when the box touches the top). Labels are escaped (names come from events) and cut to 40 chars.
 */
export function overlaySvg(width: number, height: number, items: readonly OverlayItem[], options: { text: boolean }): string {
  const fontSize = Math.max(11, Math.round(Math.min(width, height) / 32));
  const parts: string[] = [];
  for (const it of items) {
    const { x, y, width: w, height: h } = it.box;
    parts.push(
      `<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="none" stroke="${it.color}" stroke-width="${it.lineWidth}"/>`,
    );
    if (options.text && it.label) {
      const label = it.label.length > 40 ? `${it.label.slice(0, 39)}…` : it.label;
      const tabH = fontSize + 6;
      const tabW = Math.ceil(label.length * fontSize * 0.62) + 8;
      const ty = y - tabH >= 0 ? y - tabH : Math.max(0, y);
      parts.push(`<rect x="${n(x)}" y="${n(ty)}" width="${tabW}" height="${tabH}" fill="${it.color}"/>`);
      parts.push(
        `<text x="${n(x + 4)}" y="${n(ty + fontSize)}" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="${fontSize}" fill="#000">${escapeXml(label)}</text>`,
      );
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join("")}</svg>`;
}
