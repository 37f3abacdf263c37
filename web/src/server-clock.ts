/**
 * The read API's clock, from the last status answer: ranges are counted back from the
 * pipeline's now, which is not the browser's when the pipeline replays history.
 */
let serverNow: string | undefined;

export function setServerNow(now: string): void {
  serverNow = now;
}

export function serverTime(): number {
  return serverNow ? Date.parse(serverNow) : Date.now();
}
