// Reading what device trust holds, for administrators: devices and certificates, with owners' usernames;
// whole lists for the CLI, pages (store/pages.ts) for the admin API and console.
import type { DeviceCertificateRecord, DeviceRecord, InventoryTrustLevel } from '../../store/device-trust.js';
import type { Page, PageRequest } from '../../store/pages.js';
import type { TrustContext } from './context.js';
import { DeviceTrustError } from './errors.js';

export interface DeviceListing extends DeviceRecord {
  username: string | null;
}

export interface DeviceDetails extends DeviceListing {
  certificates: DeviceCertificateRecord[];
}

/** Devices, newest first; only `username`'s when given. */
export async function listDevices(ctx: TrustContext, filter: { username?: string } = {}): Promise<DeviceListing[]> {
  const user = filter.username ? await ctx.users.require(filter.username) : undefined;
  const devices = await ctx.store.listDevices(user?.id);
  return withUsernames(ctx, devices);
}

/** One page of devices, newest first, filtered by owner and trust level. */
export async function devicesPage(
  ctx: TrustContext,
  filter: { username?: string; trust?: InventoryTrustLevel },
  request: PageRequest,
): Promise<Page<DeviceListing>> {
  const user = filter.username ? await ctx.users.require(filter.username) : undefined;
  const page = await ctx.store.listDevicesPage({ userId: user?.id, trust: filter.trust }, request);
  return { ...page, items: await withUsernames(ctx, page.items) };
}

/** One page of certificates, newest first, filtered by device and/or owner. */
export async function certificatesPage(
  ctx: TrustContext,
  filter: { deviceId?: string; username?: string },
  request: PageRequest,
): Promise<Page<DeviceCertificateRecord>> {
  const user = filter.username ? await ctx.users.require(filter.username) : undefined;
  return ctx.store.listCertificatesPage({ deviceId: filter.deviceId, userId: user?.id }, request);
}

/** How many devices are trusted, managed (not proven) and revoked. */
export function countByTrustLevel(ctx: TrustContext): Promise<Record<InventoryTrustLevel, number>> {
  return ctx.store.countByTrustLevel();
}

/** The unrevoked certificates of active devices that expire by `before`, soonest first, with owners' usernames. */
export async function expiringCertificates(
  ctx: TrustContext,
  before: Date,
  limit: number,
): Promise<Array<DeviceCertificateRecord & { username: string | null }>> {
  return withUsernames(ctx, await ctx.store.expiringCertificates(before.getTime(), limit));
}

/** One device with every certificate it was issued. */
export async function deviceDetails(ctx: TrustContext, deviceId: string): Promise<DeviceDetails> {
  const device = await ctx.store.device(deviceId);
  if (!device) throw new DeviceTrustError('ERR_DEVICE_NOT_FOUND', `no device with id ${deviceId}`);
  const [listed] = await withUsernames(ctx, [device]);
  return { ...listed!, certificates: await ctx.store.listCertificates({ deviceId }) };
}

/** Certificates, newest first, filtered by device and/or user. */
export async function listCertificates(
  ctx: TrustContext,
  filter: { deviceId?: string; username?: string } = {},
): Promise<DeviceCertificateRecord[]> {
  const user = filter.username ? await ctx.users.require(filter.username) : undefined;
  return ctx.store.listCertificates({ deviceId: filter.deviceId, userId: user?.id });
}

async function withUsernames<T extends { userId: string }>(
  ctx: TrustContext,
  rows: readonly T[],
): Promise<Array<T & { username: string | null }>> {
  const names = new Map<string, string | null>();
  for (const id of new Set(rows.map((row) => row.userId))) {
    names.set(id, (await ctx.users.findById(id))?.username ?? null);
  }
  return rows.map((row) => ({ ...row, username: names.get(row.userId) ?? null }));
}
