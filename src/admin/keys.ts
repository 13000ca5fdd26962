// Token signing keys: what is published and signing, how many live nodes publish exactly this set, and
// the staged rotation (published in every node's JWKS first, signing only after the activation delay) and
// retirement. Every change is audited with the caller as actor.
import { liveWindowMs, type NodeRecord } from '../store/cluster.js';
import { keyStates, type KeyRepository, type SigningKeyInfo, type SigningKeyState } from '../store/keys.js';
import { recordChange, type AdminOrigin, type AuditPort } from './context.js';

export interface KeyAdminDeps {
  keys: Pick<
    KeyRepository,
    'listSigningKeys' | 'ensureSigningKeys' | 'rotateSigningKeys' | 'retireSigningKey' | 'providerKeysFingerprint'
  >;
  nodes: { live(since: number): Promise<NodeRecord[]> };
  audit: AuditPort;
  pollSeconds: number;
  /** cluster.key_activation_delay_seconds: how long a new key is published before it signs. */
  activationDelaySeconds: number;
  now: () => number;
}

export interface SigningKeyView extends SigningKeyInfo {
  state: SigningKeyState | undefined;
}

export interface KeySet {
  keys: SigningKeyView[];
  /** Live nodes, and how many of them publish exactly these keys in their JWKS. */
  nodes: { live: number; current: number };
}

export class KeyAdmin {
  constructor(private readonly deps: KeyAdminDeps) {}

  async list(): Promise<KeySet> {
    const now = this.deps.now();
    const keys = await this.deps.keys.listSigningKeys();
    const states = keyStates(keys, now);
    const fingerprint = await this.deps.keys.providerKeysFingerprint(now);
    const nodes = await this.deps.nodes.live(now - liveWindowMs(this.deps.pollSeconds));
    return {
      keys: keys.map((key) => ({ ...key, state: states.get(key.kid) })),
      nodes: { live: nodes.length, current: nodes.filter((node) => node.keysFingerprint === fingerprint).length },
    };
  }

  /** Adds new RS256 and ES256 keys: published now, signing after the activation delay. */
  async rotate(origin: AdminOrigin): Promise<{ added: SigningKeyInfo[]; signsFrom: number | undefined }> {
    await this.deps.keys.ensureSigningKeys();
    const added = await this.deps.keys.rotateSigningKeys(this.deps.activationDelaySeconds);
    const signsFrom = added[0]?.activatesAt ?? undefined;
    await recordChange(this.deps.audit, origin, 'admin.keys.rotate', {
      detail: { kids: added.map((k) => k.kid), activatesAt: signsFrom },
    });
    return { added, signsFrom };
  }

  /** Removes a key from the JWKS (tokens it signed stop verifying); the key signing now is refused. */
  async retire(kid: string, origin: AdminOrigin): Promise<void> {
    await this.deps.keys.retireSigningKey(kid);
    await recordChange(this.deps.audit, origin, 'admin.keys.retire', { detail: { kid } });
  }
}
