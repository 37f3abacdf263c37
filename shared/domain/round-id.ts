/** Round ids sort by creation time: `<ms base36, 9 chars>-<random>`; this is the time part. */
export function roundIdPrefix(epochMs: number): string {
  return Math.max(0, Math.floor(epochMs)).toString(36).padStart(9, '0');
}

export function roundCreatedAt(roundId: string): number {
  return Number.parseInt(roundId.split('-')[0] ?? '', 36);
}
