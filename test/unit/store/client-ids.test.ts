// Client ids are passed as CLI arguments (`latchkey clients setup ID`): one starting with '-' would be read
// as an option by commander. base64url gives a leading '-' or '_' for 1 id in 32, so 2,000 ids show it.
import { describe, expect, it } from '@jest/globals';
import { ClientRepository } from '../../../src/store/clients.js';

describe('ClientRepository.newClientId', () => {
  it('never starts with - or _, is 16 base64url characters, and does not repeat', () => {
    const ids = Array.from({ length: 2000 }, () => ClientRepository.newClientId());
    expect(ids.filter((id) => !/^[A-Za-z0-9][A-Za-z0-9_-]{15}$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
