import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { argsOf, eventually, harness, T0 } from '../fixtures/scheduler-harness.js';

interface Received {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

describe('scheduler runtime: webhooks against a local server', () => {
  let server: http.Server;
  let base = '';
  const received: Received[] = [];
  const hanging: http.ServerResponse[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
        if (req.url === '/ok') res.writeHead(204).end();
        else if (req.url === '/fail') res.writeHead(500).end('nope');
        else hanging.push(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const res of hanging) res.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('2xx completes; the body and Idempotency-Key identify the occurrence', async () => {
    const { clock, scheduler, events } = await harness({ webhook: { secret: 's3cret' } });
    await scheduler.schedule({ id: 'wh-ok', at: T0 + 1000, webhook: `${base}/ok`, payload: { hello: 'world' } });
    await clock.advanceTo(T0 + 1000);
    await eventually(() => argsOf(events, 'execution:completed').length === 1, 'the delivery');
    const got = received.find((r) => r.path === '/ok');
    assert.ok(got);
    assert.equal(got.headers['idempotency-key'], `wh-ok@${T0 + 1000}`);
    assert.match(String(got.headers['x-scheduled-db-signature']), /^sha256=[0-9a-f]{64}$/);
    assert.equal(got.body.job_id, 'wh-ok');
    assert.equal(got.body.type, 'unico');
    assert.equal(got.body.execution_id, `wh-ok@${T0 + 1000}#1`);
    assert.deepEqual(got.body.payload, { hello: 'world' });
    const [execution] = await scheduler.executions('wh-ok');
    assert.equal(execution?.httpStatus, 204);
    await scheduler.close();
  });

  test('a 500 fails with http_error and is retried', async () => {
    const { clock, scheduler, events } = await harness();
    await scheduler.schedule({ id: 'wh-500', at: T0 + 1000, webhook: `${base}/fail`, maxAttempts: 2, backoff: { initialMs: 100 } });
    await clock.advanceTo(T0 + 1000);
    await eventually(() => argsOf(events, 'execution:failed').length === 1, 'attempt 1');
    await clock.advanceTo(T0 + 1000 + 90);
    await eventually(() => argsOf(events, 'execution:failed').length === 2, 'attempt 2');
    const history = await scheduler.executions('wh-500');
    assert.deepEqual(
      history.map((e) => [e.status, e.errorType, e.httpStatus]),
      [
        ['failed', 'http_error', 500],
        ['failed', 'http_error', 500],
      ],
    );
    assert.equal((await scheduler.status('wh-500')).status, 'failed');
    await scheduler.close();
  });

  test('a target that hangs times out', async () => {
    const { clock, scheduler, events } = await harness();
    await scheduler.schedule({ id: 'wh-hang', at: T0 + 1000, webhook: `${base}/hang`, timeout: '2s', maxAttempts: 1 });
    await clock.advanceTo(T0 + 1000);
    await eventually(() => received.some((r) => r.body.job_id === 'wh-hang'), 'the request');
    await clock.advanceTo(T0 + 3000);
    await eventually(() => argsOf(events, 'execution:timeout').length === 1, 'the timeout');
    const [execution] = await scheduler.executions('wh-hang');
    assert.equal(execution?.status, 'timeout');
    assert.equal(execution?.errorType, 'timeout');
    assert.equal((await scheduler.status('wh-hang')).status, 'timeout');
    await scheduler.close();
  });

  test('a target that does not exist fails with connection_error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { clock, scheduler, events } = await harness();
    await scheduler.schedule({ id: 'wh-none', at: T0 + 1000, webhook: `http://127.0.0.1:${port}/`, maxAttempts: 1 });
    await clock.advanceTo(T0 + 1000);
    await eventually(() => argsOf(events, 'execution:failed').length === 1, 'the failure', 100_000);
    const [execution] = await scheduler.executions('wh-none');
    assert.equal(execution?.errorType, 'connection_error');
    await scheduler.close();
  });

  test('private targets are refused when allowPrivate is false', async () => {
    const { scheduler } = await harness({ webhook: { allowPrivate: false } });
    await assert.rejects(
      scheduler.schedule({ at: T0 + 1000, webhook: `${base}/ok` }),
      (e: unknown) => (e as { field?: string }).field === 'webhook',
    );
    await scheduler.close();
  });
});
