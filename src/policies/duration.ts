// Durations as policy files write them ("30m", "8h", "7d") and back, for sign_in_frequency.

const UNIT_SECONDS: Readonly<Record<string, number>> = { m: 60, h: 3600, d: 86400 };

/** The longest sign_in_frequency accepted: a year. */
export const MAX_DURATION_SECONDS = 366 * 86400;

/** Parse "30m" / "8h" / "7d" into seconds; null when malformed, zero or longer than a year. */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,6})([mhd])$/.exec(text.trim());
  if (match === null) return null;
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] ?? ''] ?? 0);
  return seconds > 0 && seconds <= MAX_DURATION_SECONDS ? seconds : null;
}

/** Render seconds in the largest whole unit ("8h", "90m", "7d"; "45s" for odd values). */
export function formatDuration(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
