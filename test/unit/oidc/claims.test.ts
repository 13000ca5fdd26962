// preferred_username is what federating IdPs match users on: configurable, email by default.
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';
import { preferredUsername } from '../../../src/oidc/claims.js';
import { userClaims } from '../../../src/oidc/provider.js';
import type { User } from '../../../src/store/users.js';

const withEmail = { username: 'ada', email: 'ada@example.com' };
const withoutEmail = { username: 'bob', email: null };

describe('preferred_username', () => {
  it('is the email by default, as Okta matches on it', () => {
    expect(loadConfig({ env: {} }).claims.preferred_username).toBe('email');
    expect(preferredUsername(withEmail, 'email')).toBe('ada@example.com');
  });

  it('falls back to the username for a user without an email', () => {
    expect(preferredUsername(withoutEmail, 'email')).toBe('bob');
  });

  it('is the username when configured so, whether or not there is an email', () => {
    expect(preferredUsername(withEmail, 'username')).toBe('ada');
    expect(preferredUsername(withoutEmail, 'username')).toBe('bob');
  });

  it('reaches the released claims', async () => {
    const user = { id: 'u1', name: null, ...withEmail } as unknown as User;
    const groups = async () => [];
    expect((await userClaims(user, groups)).preferred_username).toBe('ada@example.com');
    expect((await userClaims(user, groups, 'username')).preferred_username).toBe('ada');
  });

  it('refuses a value other than email or username', () => {
    expect(() => loadConfig({ env: {}, overrides: { claims: { preferred_username: 'upn' } } })).toThrow(ConfigError);
    try {
      loadConfig({ env: {}, overrides: { claims: { preferred_username: 'upn' } } });
    } catch (error) {
      expect((error as Error).message).toContain('claims.preferred_username');
    }
  });
});
