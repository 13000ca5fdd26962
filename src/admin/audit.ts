// Reading the audit log for administrators: filters and cursor pagination (newest first; the cursor is the
// id of the last event of the previous page, so pages stay stable while new events are appended).
import { InvalidInputError } from '../errors.js';
import type { AuditLog, AuditQuery, StoredAuditEvent } from '../store/audit.js';
import { MAX_PAGE_SIZE, pageSize } from '../store/pages.js';

export const MAX_AUDIT_PAGE = MAX_PAGE_SIZE;

export interface AuditPage {
  events: StoredAuditEvent[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

export class AuditAdmin {
  constructor(private readonly audit: Pick<AuditLog, 'search'>) {}

  /** One page of events matching `query`, older than the cursor `before` when given. */
  async search(query: Omit<AuditQuery, 'beforeId'> & { before?: string }): Promise<AuditPage> {
    const limit = pageSize({ limit: query.limit ?? 50 });
    let beforeId: number | undefined;
    if (query.before !== undefined) {
      if (!/^[1-9]\d{0,15}$/.test(query.before))
        throw new InvalidInputError('ERR_AUDIT_CURSOR', `"${query.before}" is not a cursor this API returned`);
      beforeId = Number(query.before);
    }
    const { before: _cursor, ...filters } = query;
    const events = await this.audit.search({ ...filters, beforeId, limit: limit + 1 });
    const page = events.slice(0, limit);
    return events.length > limit ? { events: page, nextCursor: String(page[page.length - 1]!.id) } : { events: page };
  }

  /** One sign-in's whole story, oldest first: each method tried, the policy decision and how it ended. */
  async signIn(uid: string): Promise<StoredAuditEvent[]> {
    return (await this.audit.search({ signIn: uid, limit: MAX_AUDIT_PAGE })).reverse();
  }
}
