/** What the table and the Markdown forms share: durations and percentages as a person reads them. */

/** `1d 2h 3m`, `43m`, `30s`, `0s`: the largest units first, zeros left out. */
export function durationText(seconds: number): string {
  const s = Math.round(seconds);
  const parts = [[Math.floor(s / 86_400), 'd'], [Math.floor((s % 86_400) / 3600), 'h'], [Math.floor((s % 3600) / 60), 'm'], [s % 60, 's']] as const;
  return parts.filter(([v]) => v > 0).map(([v, u]) => `${v}${u}`).join(' ') || '0s';
}

/** `99.95%`, or the text for unknown. */
export function withPercent(text: string, unknown = '-'): string {
  return text === '' ? unknown : `${text}%`;
}

export const msText = (ms: number | undefined) => (ms === undefined ? '-' : `${Math.round(ms)} ms`);

/** ISO to the second, for people (2026-11-03T12:00:00Z); the JSON keeps the milliseconds. */
export const shortIso = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');
