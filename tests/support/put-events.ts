import { request } from 'node:http';

/** One PutEvents request entry as the JSON protocol carries it. */
export interface RawEntry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
}

export interface PutEventsAnswer {
  readonly status: number;
  readonly body: {
    FailedEntryCount?: number;
    Entries?: { EventId?: string; ErrorCode?: string }[];
    __type?: string;
  };
}

/**
 * PutEvents over plain HTTP, as the AWS JSON 1.1 protocol sends it: lets a test send what
 * the SDK would refuse to build (wrong types, huge bodies). One connection per call, so a
 * connection the server cut never carries the next request.
 */
export function putEventsRaw(url: string, entries: readonly RawEntry[]): Promise<PutEventsAnswer> {
  const body = JSON.stringify({ Entries: entries });
  return new Promise((resolve, reject) => {
    const call = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AWSEvents.PutEvents',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          try {
            resolve({
              status: response.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as PutEventsAnswer['body'],
            });
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    call.on('error', reject);
    call.end(body);
  });
}
