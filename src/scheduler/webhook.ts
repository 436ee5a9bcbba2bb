/**
 * Webhook delivery: one POST per attempt, classified into an {@link ExecutionErrorType}.
 *
 * Built on `node:http`/`node:https` rather than `fetch` so that failures carry errno-style codes
 * to classify on, and so the SSRF guard can vet the address a host name actually resolves to
 * (a check on the URL alone is defeated by any DNS name pointing at 127.0.0.1).
 */
import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { isPrivateAddress } from '../util/ip.js';
import type { ExecutionErrorType, JsonValue } from './model.js';

/** Package version sent in `User-Agent`; kept as a constant so no JSON import is needed at runtime. */
const WEBHOOK_USER_AGENT = 'scheduled-db/0.1.0';

/** One webhook attempt to deliver. Times are epoch milliseconds. */
export interface WebhookRequest {
  /** The `http:` or `https:` URL to POST to. */
  url: string;
  /** Sent as `job_id`. */
  jobId: string;
  /** The HTTP contract's job type; see {@link webhookJobType}. */
  jobType: 'unico' | 'recurrente';
  /** Sent as `execution_id`. */
  executionId: string;
  /** 1-based attempt number of this occurrence. */
  attempt: number;
  /** The occurrence's scheduled time (sent in epoch seconds). */
  scheduledAt: number;
  /** When this attempt started (sent in epoch seconds). */
  executedAt: number;
  /** Same for every attempt of one occurrence, so receivers can drop repeats. */
  idempotencyKey: string;
  /** Sent as `payload`; the field is left out of the body when absent. */
  payload?: JsonValue;
  /** Budget for the whole exchange: DNS, connect, request, response headers and body. */
  timeoutMs: number;
  /** Aborting it ends the attempt as `cancelled`. */
  signal?: AbortSignal;
  /** When set (non-empty), the body is signed with HMAC-SHA256; see {@link signWebhook}. */
  secret?: string;
  /** When false, targets in private, loopback and link-local ranges are refused. */
  allowPrivate: boolean;
  /** Source of the signature timestamp (default {@link systemClock}); also arms the timeout. */
  clock?: Clock;
}

/** What one attempt came to. `deliverWebhook` reports every failure here instead of throwing. */
export interface WebhookResult {
  /** True for a 2xx response. */
  ok: boolean;
  /** The response status, when one arrived. */
  httpStatus?: number;
  /** Wall time of the attempt, rounded to whole milliseconds. */
  responseTimeMs: number;
  /** Why it failed; absent when `ok`. */
  errorType?: ExecutionErrorType;
  /** A short human-readable reason; absent when `ok`. */
  error?: string;
}

/** Maps the model's job kind to the HTTP contract's `type` field. */
export function webhookJobType(kind: 'once' | 'cron'): 'unico' | 'recurrente' {
  return kind === 'cron' ? 'recurrente' : 'unico';
}

/**
 * The `X-Scheduled-DB-Signature` value: `sha256=` and the hex HMAC-SHA256, keyed by `secret`, of
 * `"<timestamp>.<body>"`. Signing the timestamp too lets receivers reject replays of old bodies.
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(timestamp).update('.').update(body).digest('hex');
}

/** Errno-style code the SSRF guard puts on its refusals; classified as `connection_error`. */
export const PRIVATE_ADDRESS_CODE = 'ERR_WEBHOOK_PRIVATE_ADDRESS';

const DNS_CODES: ReadonlySet<string> = new Set([
  'ENOTFOUND',
  'ENODATA',
  'ENONAME',
  'ESERVFAIL',
  'ETIMEOUT',
  'EFORMERR',
  'EBADNAME',
  'EBADRESP',
  'EBADFAMILY',
  'EBADQUERY',
  'ENOTIMP',
  'EREFUSED',
]);

const CONNECTION_CODES: ReadonlySet<string> = new Set([
  PRIVATE_ADDRESS_CODE,
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
  'EPROTO',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ERR_SOCKET_CLOSED',
  'ERR_STREAM_PREMATURE_CLOSE',
  // Certificate verification failures as OpenSSL names them (no common prefix to match on).
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);

/**
 * Classifies a network error by its `code` (never its message, which varies across Node
 * versions and platforms). Our own timeout and caller cancellation are not errors with codes and
 * are decided by {@link deliverWebhook} itself.
 */
export function classifyWebhookError(err: unknown): ExecutionErrorType {
  const code = errorCode(err);
  if (code === undefined) return 'unknown';
  if (DNS_CODES.has(code) || code.startsWith('EAI_')) return 'dns_error';
  if (CONNECTION_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.startsWith('CERT_')) {
    return 'connection_error';
  }
  return 'unknown';
}

/** The code of an error; an AggregateError (several addresses tried) takes its first member's. */
function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const inner = (err as { errors?: unknown }).errors;
  return Array.isArray(inner) && inner.length > 0 ? errorCode(inner[0]) : undefined;
}

/** Error raised by the guard; shaped like a system error so it flows through Node's socket code. */
class PrivateAddressError extends Error {
  readonly code = PRIVATE_ADDRESS_CODE;
  constructor(host: string, address: string) {
    super(
      `webhook target resolves to a private address: ${host === address ? address : `${host} -> ${address}`}` +
        ' (set the createScheduler option webhook: { allowPrivate: true } to allow private, loopback and link-local targets)',
    );
    this.name = 'PrivateAddressError';
  }
}

/**
 * Resolves like the default lookup, then drops private addresses so the socket can only connect
 * to a vetted one. When nothing public is left the connection fails with the guard's error.
 */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) {
      callback(err, '');
      return;
    }
    const allowed = addresses.filter((a) => !isPrivateAddress(a.address));
    const first = allowed[0];
    if (first === undefined) {
      const refused = addresses[0];
      const error =
        refused === undefined
          ? Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
          : new PrivateAddressError(hostname, refused.address);
      callback(error, '');
      return;
    }
    if (options.all === true) callback(null, allowed);
    else callback(null, first.address, first.family);
  });
};

// Keep-alive pools, LIFO so few sockets stay hot and an idle one is less likely to be stale.
// Guarded and unguarded requests use separate pools: agents key sockets by host:port only, so a
// shared pool would let a socket opened with allowPrivate=true serve a guarded request.
// Made on the first delivery, not at import: importing the package has no side effects.
const agentOptions: http.AgentOptions = { keepAlive: true, scheduling: 'lifo' };
let pools: { http: http.Agent; https: https.Agent; httpGuarded: http.Agent; httpsGuarded: https.Agent } | undefined;

function agentFor(secure: boolean, allowPrivate: boolean): http.Agent {
  pools ??= {
    http: new http.Agent(agentOptions),
    https: new https.Agent(agentOptions),
    httpGuarded: new http.Agent(agentOptions),
    httpsGuarded: new https.Agent(agentOptions),
  };
  if (allowPrivate) return secure ? pools.https : pools.http;
  return secure ? pools.httpsGuarded : pools.httpGuarded;
}

/** Response bytes read before giving up on reusing the socket. */
const MAX_DRAIN_BYTES = 64 * 1024;
/** Enough UTF-8 bytes for any 200 UTF-16 code units. */
const SNIPPET_BYTES = 600;
const SNIPPET_CHARS = 200;
/** Node's timers overflow (to 1 ms) above this. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * POSTs one attempt of a job's webhook and reports how it went. Never throws: every failure,
 * including a malformed URL, is a {@link WebhookResult} with an `errorType`.
 *
 * Success is any 2xx. 3xx is not followed (a redirect could lead past the private-address guard)
 * and counts as `http_error`, like 4xx and 5xx. Up to 64 KB of response body is read and thrown
 * away so the keep-alive socket can be reused; a longer body ends the attempt with the status
 * already known and the socket closed instead.
 */
export async function deliverWebhook(req: WebhookRequest): Promise<WebhookResult> {
  const startedAt = performance.now();
  try {
    if (req.signal?.aborted === true) return failure(startedAt, 'cancelled', 'webhook cancelled before it was sent');
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return failure(startedAt, 'unknown', `invalid webhook URL: ${req.url}`);
    }
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') {
      return failure(startedAt, 'unknown', `unsupported webhook URL protocol: ${url.protocol}`);
    }
    if (!req.allowPrivate) {
      // Literal addresses never reach the lookup hook, so they are vetted here.
      const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      if (isIP(host) !== 0 && isPrivateAddress(host)) {
        return failure(startedAt, 'connection_error', new PrivateAddressError(host, host).message);
      }
    }
    const body = webhookBody(req);
    const headers: http.OutgoingHttpHeaders = {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'Idempotency-Key': req.idempotencyKey,
      'User-Agent': WEBHOOK_USER_AGENT,
    };
    const clock = req.clock ?? systemClock;
    if (req.secret !== undefined && req.secret !== '') {
      const timestamp = String(Math.floor(clock.now() / 1000));
      headers['X-Scheduled-DB-Timestamp'] = timestamp;
      headers['X-Scheduled-DB-Signature'] = signWebhook(req.secret, timestamp, body);
    }
    const options: http.RequestOptions = {
      method: 'POST',
      headers,
      agent: agentFor(secure, req.allowPrivate),
    };
    if (!req.allowPrivate) options.lookup = guardedLookup;
    return await new Promise<WebhookResult>((resolve) => {
      new Delivery(url, secure, options, body, req, clock, startedAt, resolve).start();
    });
  } catch (err) {
    // Only reachable through bad input such as a payload JSON.stringify rejects or an illegal header value.
    return failure(startedAt, 'unknown', err instanceof Error ? err.message : String(err));
  }
}

/** The JSON body, keys in the contract's order, assembled without an intermediate object. */
function webhookBody(req: WebhookRequest): string {
  let s =
    '{"job_id":' +
    JSON.stringify(req.jobId) +
    ',"type":' +
    JSON.stringify(req.jobType) +
    ',"executed_at":' +
    Math.floor(req.executedAt / 1000) +
    ',"scheduled_at":' +
    Math.floor(req.scheduledAt / 1000) +
    ',"execution_id":' +
    JSON.stringify(req.executionId) +
    ',"attempt":' +
    req.attempt;
  if (req.payload !== undefined) s += ',"payload":' + JSON.stringify(req.payload);
  return s + '}';
}

function failure(startedAt: number, errorType: ExecutionErrorType, error: string, httpStatus?: number): WebhookResult {
  const result: WebhookResult = { ok: false, responseTimeMs: elapsed(startedAt), errorType, error };
  if (httpStatus !== undefined) result.httpStatus = httpStatus;
  return result;
}

function elapsed(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}

/** One attempt in flight: the request (possibly re-sent once), its timer and its abort hook. */
class Delivery {
  #done = false;
  #timer: TimerHandle | undefined;
  #request: http.ClientRequest | undefined;
  #response: http.IncomingMessage | undefined;

  constructor(
    private readonly url: URL,
    private readonly secure: boolean,
    private readonly options: http.RequestOptions,
    private readonly body: string,
    private readonly req: WebhookRequest,
    private readonly clock: Clock,
    private readonly startedAt: number,
    private readonly resolve: (result: WebhookResult) => void,
  ) {}

  start(): void {
    const { timeoutMs, signal } = this.req;
    if (Number.isFinite(timeoutMs)) {
      const ms = Math.min(Math.max(0, timeoutMs), MAX_TIMER_MS);
      this.#timer = this.clock.setTimeout(this.#onTimeout, ms);
    }
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#send(true);
  }

  #send(mayResend: boolean): void {
    const request = (this.secure ? https : http).request(this.url, this.options, (res) => this.#onResponse(res));
    this.#request = request;
    request.on('error', (err) => {
      if (this.#done || request !== this.#request) return;
      // A keep-alive socket the server closed while idle fails before the request reached it;
      // sending again on a fresh socket is safe (and the Idempotency-Key covers the rare doubt).
      if (mayResend && request.reusedSocket && this.#response === undefined) {
        const code = errorCode(err);
        if (code === 'ECONNRESET' || code === 'EPIPE') {
          this.#send(false);
          return;
        }
      }
      this.#finish(failure(this.startedAt, classifyWebhookError(err), err.message.trim()));
    });
    request.end(this.body);
  }

  #onResponse(res: http.IncomingMessage): void {
    this.#response = res;
    const status = res.statusCode ?? 0;
    const ok = status >= 200 && status < 300;
    let received = 0;
    let snippet: Buffer[] | undefined = ok ? undefined : [];
    let snippetBytes = 0;
    const settle = (): void => {
      if (ok) {
        this.#finish({ ok: true, httpStatus: status, responseTimeMs: elapsed(this.startedAt) });
        return;
      }
      let text = snippet === undefined ? '' : Buffer.concat(snippet).toString('utf8').trim();
      if (text.length > SNIPPET_CHARS) text = text.slice(0, SNIPPET_CHARS);
      snippet = undefined;
      const reason = res.statusMessage ? `HTTP ${status} ${res.statusMessage}` : `HTTP ${status}`;
      this.#finish(failure(this.startedAt, 'http_error', text === '' ? reason : `${reason}: ${text}`, status));
    };
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (snippet !== undefined && snippetBytes < SNIPPET_BYTES) {
        const part = chunk.length + snippetBytes > SNIPPET_BYTES ? chunk.subarray(0, SNIPPET_BYTES - snippetBytes) : chunk;
        snippet.push(part);
        snippetBytes += part.length;
      }
      if (received > MAX_DRAIN_BYTES) {
        settle();
        res.destroy();
      }
    });
    res.on('end', settle);
    // The status is the receiver's verdict; a body cut short afterwards does not change it.
    res.on('error', () => undefined);
    res.on('close', settle);
  }

  #onTimeout = (): void => {
    this.#timer = undefined;
    this.#abandon(failure(this.startedAt, 'timeout', `webhook timed out after ${this.req.timeoutMs} ms`));
  };

  #onAbort = (): void => {
    this.#abandon(failure(this.startedAt, 'cancelled', 'webhook cancelled'));
  };

  /** Settles first, then tears the exchange down; the errors that teardown raises are ignored. */
  #abandon(result: WebhookResult): void {
    if (this.#done) return;
    this.#finish(result);
    this.#response?.destroy();
    this.#request?.destroy();
  }

  #finish(result: WebhookResult): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.req.signal?.removeEventListener('abort', this.#onAbort);
    this.resolve(result);
  }
}
