import { Sha256 } from '@aws-crypto/sha256-js';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import { type CliIo, CommandError, UsageError } from './io.js';

export const LOCAL_URL = 'http://127.0.0.1:4000';
/** This machine: loopback, or the wildcard address a runtime bound to every interface prints. */
const LOCAL_HOST = /^(127\.0\.0\.1|localhost|\[::1\]|0\.0\.0\.0|\[::\])$/;
/** AWS's own endpoints (EventBridge, Lambda function URLs): a runtime's token is never sent there. */
const AWS_HOST = /\.(amazonaws\.com|amazonaws\.com\.cn|on\.aws)$/;

/** Where the commands send events and read from: the local runtime, or a deployment on AWS. */
export interface Target {
  /** PutEvents endpoint; undefined = EventBridge of the region. */
  readonly endpoint: string | undefined;
  readonly apiUrl: string;
  readonly region: string | undefined;
  readonly profile: string | undefined;
  readonly bus: string;
  /** The token of a local runtime started with one (`npm start -- --token`). */
  readonly token: string | undefined;
}

export interface TargetValues {
  endpoint?: string | undefined;
  'api-url'?: string | undefined;
  region?: string | undefined;
  profile?: string | undefined;
  bus?: string | undefined;
  token?: string | undefined;
}

function checkUrl(name: string, value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('not http');
    return value.replace(/\/+$/, '');
  } catch {
    throw new UsageError(`--${name} must be an http(s) URL, got "${value}"`);
  }
}

export function targetOf(values: TargetValues, io: CliIo): Target {
  const aws = values.region !== undefined || values.profile !== undefined;
  const endpoint = values.endpoint ?? io.env.NORTHSTAR_ENDPOINT ?? (aws ? undefined : LOCAL_URL);
  return {
    endpoint: endpoint === undefined ? undefined : checkUrl('endpoint', endpoint),
    apiUrl: checkUrl('api-url', values['api-url'] ?? io.env.NORTHSTAR_API_URL ?? LOCAL_URL),
    region: values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION,
    profile: values.profile ?? io.env.AWS_PROFILE,
    bus: values.bus ?? 'northstar',
    // An empty value counts as none, as shells leave an unset variable.
    token: (values.token ?? io.env.NORTHSTAR_TOKEN) || undefined,
  };
}

const isLocal = (url: string | undefined) => url !== undefined && LOCAL_HOST.test(new URL(url).hostname);

/** The target's token, for a URL that is a runtime's and not AWS's. */
const runtimeToken = (target: Target, url: string | undefined) =>
  url !== undefined && !AWS_HOST.test(new URL(url).hostname) ? target.token : undefined;

/**
 * An EventBridge client for the target; retries are the caller's own, per entry. A runtime
 * with a token takes calls signed with it as the secret access key; one without takes any.
 */
export function busClient(target: Target): EventBridgeClient {
  const local = isLocal(target.endpoint);
  const token = runtimeToken(target, target.endpoint);
  return new EventBridgeClient({
    maxAttempts: 1,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(target.region ? { region: target.region } : local || token ? { region: 'us-east-1' } : {}),
    credentials: token
      ? { accessKeyId: 'northstar', secretAccessKey: token }
      : local
        ? { accessKeyId: 'local', secretAccessKey: 'local' }
        : fromNodeProviderChain(target.profile ? { profile: target.profile } : {}),
  });
}

/** A read API error as the API answers it: `{ error: { code, parameter?, message } }`. */
function apiMessage(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: string; code?: string } };
    if (body.error?.message) return `${status} ${body.error.code ?? ''}: ${body.error.message}`;
  } catch {
    // Not JSON: show the text as it came.
  }
  return `${status}: ${text.slice(0, 300)}`;
}

/**
 * The read API over HTTP. On AWS it is a Lambda function URL with IAM authorisation:
 * every request is signed with SigV4 (service `lambda`).
 */
export interface ReadApiClientOptions {
  /** @default true for a read API that is not on this machine and is given no token */
  readonly sign?: boolean;
  /** @default the SDK's chain, with the target's profile */
  readonly credentials?: ConstructorParameters<typeof SignatureV4>[0]['credentials'];
}

/** The read API answered with an error status: 4xx is the request's, 5xx the API's (worth a retry). */
export class ReadApiError extends CommandError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class ReadApiClient {
  private readonly signer: SignatureV4 | undefined;
  /** A local runtime's token, sent as `Authorization: Bearer` (never to AWS). */
  private readonly token: string | undefined;

  constructor(
    private readonly target: Target,
    options: ReadApiClientOptions = {},
  ) {
    this.token = runtimeToken(target, target.apiUrl);
    if (!(options.sign ?? (!isLocal(target.apiUrl) && this.token === undefined))) return;
    const region =
      target.region ?? /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(new URL(target.apiUrl).hostname)?.[1];
    if (!region)
      throw new UsageError(
        `--region is needed to sign requests to ${target.apiUrl} (for a local runtime on another machine, give its token instead: --token or NORTHSTAR_TOKEN)`,
      );
    this.signer = new SignatureV4({
      service: 'lambda',
      region,
      sha256: Sha256,
      credentials:
        options.credentials ?? fromNodeProviderChain(target.profile ? { profile: target.profile } : {}),
    });
  }

  get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    return this.request<T>('GET', path, query);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, {}, body);
  }

  private async request<T>(
    method: string,
    path: string,
    query: Record<string, string | undefined>,
    body?: unknown,
  ): Promise<T> {
    const url = new URL(`${this.target.apiUrl}${path}`);
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(name, value);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let headers: Record<string, string> = {
      accept: 'application/json',
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      ...(this.token === undefined || this.signer ? {} : { authorization: `Bearer ${this.token}` }),
    };
    if (this.signer) {
      const signed = await this.signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { ...headers, host: url.host },
        ...(payload === undefined ? {} : { body: payload }),
      });
      headers = signed.headers as Record<string, string>;
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    } catch (cause) {
      const hint = isLocal(this.target.apiUrl) ? ' (is the local runtime running? npm start)' : '';
      throw new CommandError(
        `cannot reach the read API at ${this.target.apiUrl}${hint}: ${(cause as Error).message}`,
        1,
        {
          cause,
        },
      );
    }
    const text = await response.text();
    if (response.status === 401 && !this.signer) {
      const hint = this.token
        ? "the token given (--token or NORTHSTAR_TOKEN) is not the runtime's"
        : 'the runtime needs its token: pass --token or set NORTHSTAR_TOKEN (npm start printed it, after #token= in the dashboard URL)';
      throw new CommandError(`${method} ${url.pathname}: ${apiMessage(response.status, text)} (${hint})`);
    }
    if (!response.ok)
      throw new ReadApiError(
        `${method} ${url.pathname}: ${apiMessage(response.status, text)}`,
        response.status,
      );
    return JSON.parse(text) as T;
  }
}
