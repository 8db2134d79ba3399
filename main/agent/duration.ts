/** Durations as people write them for `--min-valid` (`90s`, `10m`, `1h`, `1h30m`, or bare seconds), and as the agent says them. */
const PART = /(\d+)(h|m|s)/g;
const UNIT = { h: 3_600_000, m: 60_000, s: 1000 } as const;
/** Longer than any access token a provider gives; a bigger ask is a typo. */
export const MAX_MIN_VALID_MS = 24 * 3_600_000;

/** The duration in ms, or null when `text` is not one (or is longer than a day). */
export function parseDuration(text: string): number | null {
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else if (/^(\d+(h|m|s))+$/.test(text)) ms = [...text.matchAll(PART)].reduce((sum, [, n, unit]) => sum + Number(n) * UNIT[unit as keyof typeof UNIT], 0);
  else return null;
  return ms <= MAX_MIN_VALID_MS ? ms : null;
}

/** "2 minutes", "90 seconds", "1 second". */
export function durationText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120 && s % 60 !== 0) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  return `${m} minute${m === 1 ? '' : 's'}`;
}
