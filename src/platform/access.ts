import { workspaceId, type WorkspaceId } from '../kernel/ids.ts';
import { WorkspaceForbidden } from './platform-errors.ts';
import type { PlatformStore } from './platform-store.ts';

/**
 * The workspace an API client may read: the one it asks for, or `fallback`, provided the
 * workspace belongs to the client's organisation.
 */
export function workspaceForClient(
  store: PlatformStore,
  clientId: string,
  requested: number | undefined,
  fallback: WorkspaceId,
): WorkspaceId {
  const ws = requested === undefined ? fallback : workspaceId(requested);
  const tenant = store.tenantOf(ws);
  const client = store.apiClient(clientId);
  if (!tenant || !client || tenant.orgId !== client.orgId) {
    throw new WorkspaceForbidden(ws);
  }
  return ws;
}
