/** POSTs a JSON body and gives up after 10 seconds, so a hanging webhook fails its invocation in time. */
export async function postJson(url: string, body: string): Promise<{ status: number }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status };
}
