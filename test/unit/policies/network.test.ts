import { describe, expect, it } from '@jest/globals';
import { cidrContains, isNonPublicAddress, parseCidr, parseIp } from '../../../src/policies/network.js';
import type { Cidr } from '../../../src/policies/types.js';

function cidr(text: string): Cidr {
  const result = parseCidr(text);
  if (!result.ok) throw new Error(result.reason);
  return result.cidr;
}

function contains(block: string, address: string): boolean {
  const ip = parseIp(address);
  if (ip === null) throw new Error(`bad address ${address}`);
  return cidrContains(cidr(block), ip);
}

describe('CIDR matching', () => {
  it('matches IPv4 addresses inside a block and not outside it', () => {
    expect(contains('10.0.0.0/8', '10.255.1.2')).toBe(true);
    expect(contains('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(contains('100.64.0.0/10', '100.127.255.255')).toBe(true);
    expect(contains('100.64.0.0/10', '100.128.0.0')).toBe(false);
  });

  it('matches IPv6 addresses, including compressed forms', () => {
    expect(contains('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(contains('2001:db8::/32', '2001:db9::1')).toBe(false);
    expect(contains('fe80::/10', 'febf::1')).toBe(true);
    expect(contains('fe80::/10', 'fec0::1')).toBe(false);
  });

  it('treats a bare address as a single host', () => {
    expect(contains('192.0.2.10', '192.0.2.10')).toBe(true);
    expect(contains('192.0.2.10', '192.0.2.11')).toBe(false);
    expect(contains('::1', '::1')).toBe(true);
  });

  it('matches everything with a /0 of the same family only', () => {
    expect(contains('0.0.0.0/0', '203.0.113.1')).toBe(true);
    expect(contains('0.0.0.0/0', '2001:db8::1')).toBe(false);
    expect(contains('::/0', '2001:db8::1')).toBe(true);
  });

  it('reads IPv4-mapped IPv6 addresses as IPv4', () => {
    expect(parseIp('::ffff:192.0.2.1')).toMatchObject({ family: 4, text: '192.0.2.1' });
    expect(contains('192.0.2.0/24', '::ffff:192.0.2.1')).toBe(true);
    expect(contains('192.0.2.0/24', '::ffff:c000:0201')).toBe(true);
  });

  it('ignores an IPv6 zone id', () => {
    expect(contains('fe80::/10', 'fe80::1%eth0')).toBe(true);
  });
});

describe('CIDR parsing', () => {
  it('explains why a CIDR is invalid', () => {
    const reason = (text: string) => {
      const result = parseCidr(text);
      return result.ok ? null : result.reason;
    };
    expect(reason('10.0.0.0/33')).toBe('prefix /33 is longer than 32 bits');
    expect(reason('10.0.0/8')).toBe('"10.0.0" is not an IPv4 or IPv6 address');
    expect(reason('10.0.0.0/x')).toBe('prefix "x" is not a number');
    expect(reason('10.0.0.0/8/8')).toBe('has more than one "/"');
    expect(reason('10.1.2.3/8')).toBe('host bits are set; did you mean 10.0.0.0/8?');
    expect(reason('2001:db8::1/32')).toBe('host bits are set; did you mean 2001:db8::/32?');
  });

  it('masks host bits when asked to', () => {
    const result = parseCidr('10.1.2.3/8', { allowHostBits: true });
    expect(result.ok && [...result.cidr.bytes]).toEqual([10, 0, 0, 0]);
  });
});

describe('non-public addresses', () => {
  it('recognises private, loopback, link-local and documentation ranges', () => {
    for (const address of [
      '10.1.2.3',
      '127.0.0.1',
      '192.168.1.1',
      '172.16.5.4',
      '169.254.1.1',
      '100.64.0.1',
      '::1',
      'fd00::1',
      'fe80::1',
      '2001:db8::1',
    ]) {
      expect([address, isNonPublicAddress(parseIp(address)!)]).toEqual([address, true]);
    }
  });

  it('treats public addresses as public', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2a00:1450:4001::1']) {
      expect([address, isNonPublicAddress(parseIp(address)!)]).toEqual([address, false]);
    }
  });
});
