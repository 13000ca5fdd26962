// The admin settings (console group, admin API rate limit): documented defaults and a precise refusal for
// every bad value.
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/load.js';
import { problems } from './helpers.js';

describe('admin configuration', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({ env: {} }).admin).toEqual({
      group: 'latchkey-admins',
      api_rate_limit: { max: 600, window_seconds: 60 },
    });
  });

  it.each([
    ['admin: { group: "" }', 'admin.group = ""'],
    ['admin: { group: "-admins" }', 'admin.group = "-admins"'],
    ['admin: { group: "a/b" }', 'must be a group name'],
    ['admin: { api_rate_limit: { max: 0, window_seconds: 60 } }', 'admin.api_rate_limit.max = 0'],
    ['admin: { api_rate_limit: { max: 10, window_seconds: 0 } }', 'admin.api_rate_limit.window_seconds = 0'],
    ['admin: { console: true }', 'unknown setting admin.console'],
  ])('refuses %s', (yaml, message) => {
    expect(problems(yaml)).toContain(message);
  });
});
