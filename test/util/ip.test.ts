import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { isPrivateAddress } from '../../src/util/ip.js';

describe('isPrivateAddress', () => {
  test('IPv4 private, loopback, link-local, unspecified and other non-global ranges', () => {
    for (const ip of [
      '0.0.0.0',
      '0.1.2.3',
      '10.0.0.1',
      '10.255.255.255',
      '127.0.0.1',
      '127.255.0.9',
      '169.254.169.254',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '100.64.0.1',
      '100.127.255.255',
      '192.0.0.8',
      '192.0.2.1',
      '198.18.0.1',
      '198.19.255.255',
      '198.51.100.7',
      '203.0.113.9',
      '224.0.0.1',
      '239.1.2.3',
      '240.0.0.1',
      '255.255.255.255',
    ]) {
      assert.equal(isPrivateAddress(ip), true, ip);
    }
  });

  test('IPv4 public addresses, including the edges of private ranges', () => {
    for (const ip of [
      '8.8.8.8',
      '1.1.1.1',
      '172.15.255.255',
      '172.32.0.0',
      '100.63.255.255',
      '100.128.0.0',
      '169.253.0.1',
      '192.169.0.1',
      '11.0.0.1',
      '126.255.255.255',
      '128.0.0.1',
      '198.20.0.1',
      '223.255.255.255',
    ]) {
      assert.equal(isPrivateAddress(ip), false, ip);
    }
  });

  test('IPv6 special ranges', () => {
    for (const ip of [
      '::',
      '::1',
      '[::1]',
      'fe80::1',
      'fe80::1%eth0',
      'febf::1',
      'fc00::1',
      'fd12:3456::1',
      'fec0::1',
      'ff02::1',
      '2001:db8::1',
      '100::1',
      '::ffff:127.0.0.1',
      '::ffff:10.1.2.3',
      '::ffff:7f00:1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::192.168.0.1',
      '::127.0.0.1',
      '0:0:0:0:0:0:0:1',
      '0000:0000:0000:0000:0000:0000:0000:0000',
      'FE80::ABCD',
    ]) {
      assert.equal(isPrivateAddress(ip), true, ip);
    }
  });

  test('IPv6 public addresses', () => {
    for (const ip of [
      '2606:4700:4700::1111',
      '2001:4860:4860::8888',
      '::ffff:8.8.8.8',
      '64:ff9b::8.8.8.8',
      '[2a00:1450::1]',
      'fe7f::1',
      'fbff::1',
      '2001:db9::1',
    ]) {
      assert.equal(isPrivateAddress(ip), false, ip);
    }
  });

  test('non-literals and malformed input are not addresses (false), never a throw', () => {
    for (const text of [
      'localhost',
      'example.com',
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '010.0.0.1',
      '0x7f.0.0.1',
      '127.1',
      '1.2.3.-4',
      ':::1',
      '1::2::3',
      'fe80::1%',
      '12345::1',
      '::ffff:999.0.0.1',
      '1:2:3:4:5:6:7:8:9',
      'g::1',
      '[::1',
      'a'.repeat(100),
    ]) {
      assert.equal(isPrivateAddress(text), false, text);
    }
    assert.equal(isPrivateAddress(undefined as unknown as string), false);
  });

  test('IPv4 wrapped in IPv6 (mapped, translated, 6to4, NAT64, Teredo) is judged by the IPv4 inside', () => {
    const wrapped = (v4: string): string[] => {
      const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
      const hi = ((a << 8) | b).toString(16);
      const lo = ((c << 8) | d).toString(16);
      const inv = (n: number) => (~n & 0xffff).toString(16);
      return [
        `::ffff:${v4}`, // IPv4-mapped
        `::ffff:${hi}:${lo}`,
        `::ffff:0:${v4}`, // IPv4-translated (SIIT)
        `::ffff:0:${hi}:${lo}`,
        `0:0:0:0:ffff:0:${v4}`,
        `2002:${hi}:${lo}::`, // 6to4, the IPv4 in bits 16-48
        `2002:${hi}:${lo}:1::1`,
        `[2002:${hi}:${lo}::1]`,
        `64:ff9b::${v4}`, // NAT64
        `64:ff9b::${hi}:${lo}`,
        `2001:0:4136:e378:8000:63bf:${inv((a << 8) | b)}:${inv((c << 8) | d)}`, // Teredo client
      ];
    };
    for (const v4 of ['127.0.0.1', '10.0.0.1', '169.254.169.254', '192.168.1.1', '0.0.0.0', '100.64.0.1']) {
      for (const ip of wrapped(v4)) assert.equal(isPrivateAddress(ip), true, ip);
    }
    for (const v4 of ['8.8.8.8', '1.1.1.1']) {
      for (const ip of wrapped(v4)) assert.equal(isPrivateAddress(ip), false, ip);
    }
    // Local-use NAT64 (RFC 8215) is never global, whatever it embeds.
    assert.equal(isPrivateAddress('64:ff9b:1::8.8.8.8'), true);
    // What a URL makes of a bracketed host is still caught.
    assert.equal(isPrivateAddress(new URL('http://[::ffff:0:127.0.0.1]/').hostname), true);
    assert.equal(isPrivateAddress(new URL('http://[2002:7f00:1::]/').hostname), true);
  });
});
