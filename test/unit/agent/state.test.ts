import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type AgentState,
  defaultStateDir,
  loadAgentState,
  removeAgentState,
  saveAgentState,
  STATE_FILE,
  writeFileAtomic,
} from '../../../src/agent/state.js';
import { tempDir } from '../trust/fixtures.js';

const state: AgentState = {
  version: 1,
  serverUrl: 'https://id.example.com',
  deviceCheckUrl: 'https://certauth.example.com:8444',
  deviceId: 'dev-1',
  privateKeyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
  certificatePem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
  chainPem: [],
  enrolledAt: '2030-01-01T00:00:00.000Z',
};

const mode = (file: string) => statSync(file).mode & 0o777;

describe('agent state directory', () => {
  it('stores the state in a 0600 file inside a 0700 directory', async () => {
    const dir = path.join(tempDir(), 'nested', 'latchkey-agent');
    const file = await saveAgentState(dir, state);
    expect(file).toBe(path.join(dir, STATE_FILE));
    expect(mode(dir)).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(await loadAgentState(dir)).toEqual(state);
  });

  it('tightens an existing directory to 0700', async () => {
    const dir = tempDir();
    const loose = path.join(dir, 'loose');
    mkdirSync(loose, { mode: 0o755 });
    await saveAgentState(loose, state);
    expect(mode(loose)).toBe(0o700);
  });

  it('replaces the file atomically and leaves no temporary files', async () => {
    const dir = tempDir();
    await saveAgentState(dir, state);
    await saveAgentState(dir, { ...state, deviceId: 'dev-2' });
    expect(readdirSync(dir)).toEqual([STATE_FILE]);
    expect(JSON.parse(readFileSync(path.join(dir, STATE_FILE), 'utf8'))).toMatchObject({ deviceId: 'dev-2' });
  });

  it('writes other files atomically with the mode asked for', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'policy.json');
    await writeFileAtomic(file, '{}', 0o644);
    expect(mode(file)).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['policy.json']);
  });

  it('answers null when not enrolled, and removes the state', async () => {
    const dir = tempDir();
    expect(await loadAgentState(dir)).toBeNull();
    await saveAgentState(dir, state);
    await removeAgentState(dir);
    expect(await loadAgentState(dir)).toBeNull();
    await expect(removeAgentState(dir)).resolves.toBeUndefined();
  });

  it('reports a damaged state file precisely', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, STATE_FILE), '{"version": 1');
    await expect(loadAgentState(dir)).rejects.toMatchObject({ code: 'ERR_AGENT_STATE' });
    writeFileSync(path.join(dir, STATE_FILE), '{"version": 2}');
    await expect(loadAgentState(dir)).rejects.toMatchObject({ code: 'ERR_AGENT_STATE' });
  });

  it('finds its directory from the environment', () => {
    expect(defaultStateDir({ LATCHKEY_AGENT_STATE_DIR: '/x' }, '/home/a')).toBe('/x');
    expect(defaultStateDir({ XDG_STATE_HOME: '/s' }, '/home/a')).toBe('/s/latchkey-agent');
    expect(defaultStateDir({}, '/home/a')).toBe('/home/a/.local/state/latchkey-agent');
  });
});
