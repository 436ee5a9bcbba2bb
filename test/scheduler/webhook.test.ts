import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { deliverWebhook, type WebhookRequest } from '../../src/scheduler/webhook.js';
import { ManualClock } from '../../src/util/manual-clock.js';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

const servers = new Set<TestServer>();
after(async () => {
  for (const s of servers) await s.close();
});

/** A receiver on 127.0.0.1:0 that records each request, then lets the test answer it. */
async function startServer(respond: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<TestServer> {
  const received: Received[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      respond(req, res);
    });
  });
  server.on('connection', (socket) => {
    connections++;
    // Servers see resets when the client gives up; that is expected here.
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  const s: TestServer = {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    get connections() {
      return connections;
    },
    async close() {
      if (closed) return;
      closed = true;
      servers.delete(s);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  servers.add(s);
  return s;
}

function request(url: string, over: Partial<WebhookRequest> = {}): WebhookRequest {
  return {
    url,
    jobId: 'job-1',
    jobType: 'unico',
    executionId: 'job-1@1893456000000#2',
    attempt: 2,
    scheduledAt: 1_893_456_000_000,
    executedAt: 1_893_456_001_999,
    idempotencyKey: 'job-1@1893456000000',
    timeoutMs: 10_000,
    allowPrivate: true,
    ...over,
  };
}

const ok = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
  res.end('thanks');
};

describe('deliverWebhook: success', () => {
  test('2xx posts the exact body and headers, without signature headers when no secret', async () => {
    const s = await startServer((_q, res) => {
      res.statusCode = 204;
      res.end();
    });
    const r = await deliverWebhook(request(s.url, { payload: { a: [1, 'x', null], b: true } }));
    assert.equal(r.ok, true);
    assert.equal(r.httpStatus, 204);
    assert.equal(r.errorType, undefined);
    assert.equal(r.error, undefined);
    assert.ok(Number.isInteger(r.responseTimeMs) && r.responseTimeMs >= 0);
    assert.equal(s.received.length, 1);
    const got = s.received[0]!;
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/hook');
    assert.equal(
      got.body,
      '{"job_id":"job-1","type":"unico","executed_at":1893456001,"scheduled_at":1893456000,' +
        '"execution_id":"job-1@1893456000000#2","attempt":2,"payload":{"a":[1,"x",null],"b":true}}',
    );
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['content-length'], String(Buffer.byteLength(got.body)));
    assert.equal(got.headers['idempotency-key'], 'job-1@1893456000000');
    assert.equal(got.headers['user-agent'], 'scheduled-db/0.1.0');
    assert.equal(got.headers['x-scheduled-db-timestamp'], undefined);
    assert.equal(got.headers['x-scheduled-db-signature'], undefined);
  });

  test('payload is left out of the body when absent, kept when it is a falsy JSON value', async () => {
    const s = await startServer(ok);
    await deliverWebhook(request(s.url, { jobType: 'recurrente' }));
    await deliverWebhook(request(s.url, { payload: null }));
    await deliverWebhook(request(s.url, { payload: 0 }));
    const bodies = s.received.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    assert.deepEqual(Object.keys(bodies[0]!), ['job_id', 'type', 'executed_at', 'scheduled_at', 'execution_id', 'attempt']);
    assert.equal(bodies[0]!['type'], 'recurrente');
    assert.equal(bodies[1]!['payload'], null);
    assert.equal(bodies[2]!['payload'], 0);
  });

  test('with a secret, the timestamp is the clock in epoch seconds and the HMAC verifies', async () => {
    const s = await startServer(ok);
    const clock = new ManualClock(1_900_000_000_999);
    const r = await deliverWebhook(request(s.url, { secret: 's3cr3t', clock, payload: 'ñ' }));
    assert.equal(r.ok, true);
    const got = s.received[0]!;
    const ts = got.headers['x-scheduled-db-timestamp'];
    assert.equal(ts, '1900000000');
    const expected = createHmac('sha256', 's3cr3t').update(`${ts}.${got.body}`).digest('hex');
    assert.equal(got.headers['x-scheduled-db-signature'], `sha256=${expected}`);
    const wrong = createHmac('sha256', 'other').update(`${ts}.${got.body}`).digest('hex');
    assert.notEqual(got.headers['x-scheduled-db-signature'], `sha256=${wrong}`);
  });

  test('a 1 MB response body does not turn a 2xx into a failure', async () => {
    const big = Buffer.alloc(1024 * 1024, 0x61);
    const s = await startServer((_q, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(big);
    });
    const r = await deliverWebhook(request(s.url));
    assert.deepEqual({ ok: r.ok, httpStatus: r.httpStatus, errorType: r.errorType }, { ok: true, httpStatus: 200, errorType: undefined });
  });

  test('small response bodies are drained so the keep-alive connection is reused', async () => {
    const s = await startServer((_q, res) => res.end('x'.repeat(10_000)));
    for (let i = 0; i < 3; i++) assert.equal((await deliverWebhook(request(s.url))).ok, true);
    assert.equal(s.received.length, 3);
    assert.equal(s.connections, 1);
  });

  test('a reused connection the server dropped is retried once on a fresh one', async () => {
    const perSocket = new WeakMap<object, number>();
    const s = await startServer((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n > 1) req.socket.destroy();
      else res.end('ok');
    });
    assert.equal((await deliverWebhook(request(s.url))).ok, true);
    const r = await deliverWebhook(request(s.url));
    assert.equal(r.ok, true);
    assert.equal(s.connections, 2);
    assert.equal(s.received.length, 3);
  });
});

describe('deliverWebhook: failures', () => {
  test('500 is http_error with the status and the start of the body', async () => {
    const s = await startServer((_q, res) => {
      res.statusCode = 500;
      res.end('boom ' + 'z'.repeat(1000));
    });
    const r = await deliverWebhook(request(s.url));
    assert.equal(r.ok, false);
    assert.equal(r.errorType, 'http_error');
    assert.equal(r.httpStatus, 500);
    const msg = r.error ?? '';
    assert.ok(msg.startsWith('HTTP 500'), msg);
    assert.ok(msg.includes('boom zzz'), msg);
    assert.ok(!msg.includes('z'.repeat(201)), 'body excerpt is capped at 200 chars');
  });

  test('a 1 MB error body is cut short and still reported as http_error', async () => {
    const s = await startServer((_q, res) => {
      res.statusCode = 503;
      res.end(Buffer.alloc(1024 * 1024, 0x62));
    });
    const r = await deliverWebhook(request(s.url));
    assert.equal(r.errorType, 'http_error');
    assert.equal(r.httpStatus, 503);
    assert.ok(r.error?.includes('bbbb'), r.error);
  });

  test('redirects are not followed: 3xx is http_error', async () => {
    const s = await startServer((req, res) => {
      if (req.url === '/hook') res.writeHead(302, { Location: '/elsewhere' }).end();
      else res.end('followed');
    });
    const r = await deliverWebhook(request(s.url));
    assert.equal(r.errorType, 'http_error');
    assert.equal(r.httpStatus, 302);
    assert.deepEqual(
      s.received.map((x) => x.url),
      ['/hook'],
    );
  });

  // The test timeout only stops a hang if the abandoned connection were left open.
  test('a server that never answers ends in timeout, and the connection is closed', { timeout: 30_000 }, async () => {
    let serverSawClose: Promise<void> | undefined;
    const s = await startServer((req) => {
      serverSawClose = new Promise((resolve) => req.socket.once('close', () => resolve()));
    });
    const r = await deliverWebhook(request(s.url, { timeoutMs: 50 }));
    assert.equal(r.ok, false);
    assert.equal(r.errorType, 'timeout');
    assert.equal(r.httpStatus, undefined);
    assert.ok(serverSawClose);
    await serverSawClose;
  });

  test('the timeout covers the body: headers then silence is still a timeout', async () => {
    const s = await startServer((_q, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    const r = await deliverWebhook(request(s.url, { timeoutMs: 50 }));
    assert.equal(r.errorType, 'timeout');
  });

  test('the timeout runs on the injected clock', async () => {
    const s = await startServer(() => undefined);
    const clock = new ManualClock();
    const pending = deliverWebhook(request(s.url, { timeoutMs: 60_000, clock }));
    while (s.received.length === 0) await new Promise((r) => setImmediate(r));
    await clock.advance(60_000);
    const r = await pending;
    assert.equal(r.errorType, 'timeout');
    assert.equal(clock.pendingTimers, 0);
  });

  test('connection refused is connection_error', async () => {
    const s = await startServer(ok);
    const url = s.url;
    await s.close();
    const r = await deliverWebhook(request(url));
    assert.equal(r.ok, false);
    assert.equal(r.errorType, 'connection_error');
  });

  test('a connection reset before any response is connection_error, not retried', async () => {
    const s = await startServer((req) => req.socket.destroy());
    const r = await deliverWebhook(request(s.url));
    assert.equal(r.errorType, 'connection_error');
    assert.equal(s.received.length, 1);
  });

  test('TLS to a plain-HTTP port is connection_error', async () => {
    const s = await startServer(ok);
    const r = await deliverWebhook(request(`https://127.0.0.1:${s.port}/hook`));
    assert.equal(r.errorType, 'connection_error');
  });

  test('a host that does not exist is dns_error, with and without the private guard', async () => {
    for (const allowPrivate of [true, false]) {
      const r = await deliverWebhook(request('http://nonexistent.invalid/hook', { allowPrivate }));
      assert.equal(r.ok, false);
      assert.equal(r.errorType, 'dns_error', `allowPrivate=${allowPrivate}: ${r.error}`);
    }
  });

  test('bad URLs are reported, not thrown', async () => {
    assert.equal((await deliverWebhook(request('not a url'))).errorType, 'unknown');
    assert.equal((await deliverWebhook(request('ftp://example.com/x'))).errorType, 'unknown');
  });
});

describe('deliverWebhook: private-address guard', () => {
  test('refuses literal loopback targets unless allowPrivate', async () => {
    const s = await startServer(ok);
    for (const url of [s.url, `http://[::ffff:127.0.0.1]:${s.port}/hook`, `http://0x7f000001:${s.port}/hook`]) {
      const r = await deliverWebhook(request(url, { allowPrivate: false }));
      assert.equal(r.ok, false, url);
      assert.equal(r.errorType, 'connection_error', url);
      assert.match(r.error ?? '', /webhook target resolves to a private address/);
      assert.match(r.error ?? '', /webhook: \{ allowPrivate: true \}/);
    }
    assert.equal(s.received.length, 0);
    assert.equal((await deliverWebhook(request(s.url, { allowPrivate: true }))).ok, true);
    assert.equal(s.received.length, 1);
  });

  test('refuses a host name that resolves to loopback, checking the resolved address', async () => {
    const s = await startServer(ok);
    const url = `http://localhost:${s.port}/hook`;
    const refused = await deliverWebhook(request(url, { allowPrivate: false }));
    assert.equal(refused.errorType, 'connection_error');
    assert.match(refused.error ?? '', /localhost -> .*private address|private address: localhost ->/);
    assert.equal(s.received.length, 0);
    assert.equal((await deliverWebhook(request(url, { allowPrivate: true }))).ok, true);
  });

  test('a guarded request never reuses a socket opened without the guard', async () => {
    const s = await startServer(ok);
    const url = `http://localhost:${s.port}/hook`;
    assert.equal((await deliverWebhook(request(url, { allowPrivate: true }))).ok, true);
    const r = await deliverWebhook(request(url, { allowPrivate: false }));
    assert.equal(r.errorType, 'connection_error');
    assert.equal(s.received.length, 1);
  });
});

describe('deliverWebhook: cancellation', () => {
  test('aborting the signal mid-request is cancelled, and the connection is closed', { timeout: 30_000 }, async () => {
    let serverSawClose: Promise<void> | undefined;
    const s = await startServer((req) => {
      serverSawClose = new Promise((resolve) => req.socket.once('close', () => resolve()));
    });
    const ac = new AbortController();
    const pending = deliverWebhook(request(s.url, { signal: ac.signal }));
    while (s.received.length === 0) await new Promise((r) => setImmediate(r));
    ac.abort();
    const r = await pending;
    assert.equal(r.ok, false);
    assert.equal(r.errorType, 'cancelled');
    await serverSawClose;
  });

  test('an already-aborted signal sends nothing', async () => {
    const s = await startServer(ok);
    const ac = new AbortController();
    ac.abort();
    const r = await deliverWebhook(request(s.url, { signal: ac.signal }));
    assert.equal(r.errorType, 'cancelled');
    assert.equal(s.received.length, 0);
  });

  test('a finished delivery leaves no listener on the signal', async () => {
    const s = await startServer(ok);
    const ac = new AbortController();
    assert.equal((await deliverWebhook(request(s.url, { signal: ac.signal }))).ok, true);
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    ac.abort();
  });
});
