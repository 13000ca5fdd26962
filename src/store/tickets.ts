// Single-use, short-lived references handed from one request to another (the device check's hand-offs
// between listeners; WebAuthn challenges). Only a SHA-256 of each reference is stored, in the store that
// holds interactions (SQL or Redis, with its TTL), and redeeming is atomic: of any number of parallel
// redemptions exactly one gets the payload.
import { createHash, randomBytes } from 'node:crypto';
import type { Adapter } from 'oidc-provider';
import { ConsumeConflict, isStorableId } from './oidc-adapter.js';

export type TicketPayload = Record<string, unknown>;

export class TicketStore {
  constructor(private readonly adapter: Adapter) {}

  /** Stores `payload` under a fresh 256-bit reference of `kind` for `ttlSeconds`; returns the reference. */
  async issue(kind: string, payload: TicketPayload, ttlSeconds: number): Promise<string> {
    const reference = randomBytes(32).toString('base64url');
    await this.adapter.upsert(this.id(kind, reference), { ticket: { kind, payload } } as never, ttlSeconds);
    return reference;
  }

  /** The payload of a live, unused reference of `kind`, consuming it; undefined for anything else. */
  async redeem(kind: string, reference: unknown): Promise<TicketPayload | undefined> {
    if (!isStorableId(reference) || reference.length > 128) return undefined;
    const id = this.id(kind, reference);
    const stored = (await this.adapter.find(id)) as { ticket?: { kind: string; payload: TicketPayload } } | undefined;
    if (!stored?.ticket || stored.ticket.kind !== kind || (stored as { consumed?: unknown }).consumed) return undefined;
    try {
      await this.adapter.consume(id);
    } catch (error) {
      // Another request redeemed it first.
      if (error instanceof ConsumeConflict) return undefined;
      throw error;
    }
    await this.adapter.destroy(id);
    return stored.ticket.payload;
  }

  private id(kind: string, reference: string): string {
    return `${kind}:${createHash('sha256').update(reference).digest('base64url')}`;
  }
}
