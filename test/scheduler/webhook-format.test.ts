import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { classifyWebhookError, signWebhook, webhookJobType, PRIVATE_ADDRESS_CODE } from '../../src/scheduler/webhook.js';

const withCode = (code: string, message = 'whatever'): Error => Object.assign(new Error(message), { code });

describe('signWebhook', () => {
  test('is sha256= and the hex HMAC of "<timestamp>.<body>"', () => {
    const body = '{"job_id":"a"}';
    const expected = createHmac('sha256', 'k').update(`1700000000.${body}`).digest('hex');
    assert.equal(signWebhook('k', '1700000000', body), `sha256=${expected}`);
  });

  test('changes with the timestamp, the body and the secret', () => {
    const base = signWebhook('k', '1', 'b');
    assert.notEqual(signWebhook('k', '2', 'b'), base);
    assert.notEqual(signWebhook('k', '1', 'c'), base);
    assert.notEqual(signWebhook('j', '1', 'b'), base);
  });
});

describe('webhookJobType', () => {
  test('maps once to unico and cron to recurrente', () => {
    assert.equal(webhookJobType('once'), 'unico');
    assert.equal(webhookJobType('cron'), 'recurrente');
  });
});

describe('classifyWebhookError', () => {
  test('DNS failures are dns_error', () => {
    for (const code of ['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'ENODATA', 'ESERVFAIL']) {
      assert.equal(classifyWebhookError(withCode(code)), 'dns_error', code);
    }
  });

  test('socket and TLS failures are connection_error', () => {
    const codes = [
      'ECONNREFUSED',
      'ECONNRESET',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'EPIPE',
      'ETIMEDOUT',
      'EPROTO',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'ERR_SSL_WRONG_VERSION_NUMBER',
      'CERT_HAS_EXPIRED',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'SELF_SIGNED_CERT_IN_CHAIN',
      PRIVATE_ADDRESS_CODE,
    ];
    for (const code of codes) assert.equal(classifyWebhookError(withCode(code)), 'connection_error', code);
  });

  test('goes by the code, never the message', () => {
    assert.equal(classifyWebhookError(new Error('getaddrinfo ENOTFOUND example.com')), 'unknown');
    assert.equal(classifyWebhookError(withCode('ECONNREFUSED', 'getaddrinfo ENOTFOUND x')), 'connection_error');
  });

  test('an AggregateError (several addresses tried) takes its first member code', () => {
    const agg = new AggregateError([withCode('ECONNREFUSED'), withCode('EHOSTUNREACH')], 'all failed');
    assert.equal(classifyWebhookError(agg), 'connection_error');
  });

  test('anything else is unknown', () => {
    assert.equal(classifyWebhookError(withCode('HPE_INVALID_CONSTANT')), 'unknown');
    assert.equal(classifyWebhookError(withCode('ERR_INVALID_CHAR')), 'unknown');
    assert.equal(classifyWebhookError('string'), 'unknown');
    assert.equal(classifyWebhookError(null), 'unknown');
    assert.equal(classifyWebhookError({ code: 42 }), 'unknown');
  });
});
