import { describe, expect, it } from '@jest/globals';
import { normalisePlatformName, parseUserAgent } from '../../../src/policies/user-agent.js';

const UA = {
  macChrome:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  windowsChrome:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
  android:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36',
  ubuntuFirefox: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  chromebook:
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
};

describe('parseUserAgent', () => {
  it('reads platform and OS version of common browsers', () => {
    expect(parseUserAgent(UA.macChrome)).toEqual({ platform: 'macos', osVersion: '10.15.7' });
    expect(parseUserAgent(UA.windowsChrome)).toEqual({ platform: 'windows', osVersion: '10' });
    expect(parseUserAgent(UA.iphone)).toEqual({ platform: 'ios', osVersion: '17.2.1' });
    expect(parseUserAgent(UA.android)).toEqual({ platform: 'android', osVersion: '14' });
    expect(parseUserAgent(UA.ubuntuFirefox)).toEqual({ platform: 'linux', osVersion: null });
    expect(parseUserAgent(UA.chromebook)).toEqual({ platform: 'chromeos', osVersion: '14541.0.0' });
  });

  it('knows nothing about a non-browser or missing user agent', () => {
    expect(parseUserAgent('curl/8.5.0')).toEqual({ platform: null, osVersion: null });
    expect(parseUserAgent(undefined)).toEqual({ platform: null, osVersion: null });
    expect(parseUserAgent('')).toEqual({ platform: null, osVersion: null });
  });
});

describe('normalisePlatformName', () => {
  it('maps OS names from posture reports to platforms', () => {
    expect(normalisePlatformName('macOS')).toBe('macos');
    expect(normalisePlatformName('Darwin')).toBe('macos');
    expect(normalisePlatformName('Windows')).toBe('windows');
    expect(normalisePlatformName('Debian')).toBe('linux');
    expect(normalisePlatformName('iPadOS')).toBe('ios');
    expect(normalisePlatformName('Plan 9')).toBeNull();
  });
});
