/** Errors of the connections Platform API (outputs, connections, rules, dead letters). */
import { defineError, problemList } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';

/** An output, connection or rule the API cannot store: every problem named by its field's path. */
export const ConnectionsInvalid = defineError('QUANTA_CONNECTIONS_INVALID', { status: 400, message: problemList });

export const OutputNotFound = defineError('QUANTA_OUTPUT_NOT_FOUND', {
  status: 404,
  message: (ws: WorkspaceId, id: number) => `Output ${id} was not found in workspace ${ws}; GET /platform/v2/workspaces/${ws}/outputs lists them.`,
});

export const ConnectionNotFound = defineError('QUANTA_CONNECTION_NOT_FOUND', {
  status: 404,
  message: (ws: WorkspaceId, id: number) => `Connection ${id} was not found in workspace ${ws}; GET /platform/v2/workspaces/${ws}/connections lists them.`,
});

export const RuleNotFound = defineError('QUANTA_RULE_NOT_FOUND', {
  status: 404,
  message: (ws: WorkspaceId, id: number) => `Rule ${id} was not found in workspace ${ws}; GET /platform/v2/workspaces/${ws}/rules lists them.`,
});

export const ServiceNotFound = defineError('QUANTA_SERVICE_NOT_FOUND', {
  status: 404,
  message: (name: string, known: readonly string[]) => `There is no service (output kind) "${name}"; the services are ${known.join(', ')}.`,
});

/** A delete of an output or rule that connections use: they would lose their destination or rule. */
export const ConnectionsInUse = defineError('QUANTA_CONNECTIONS_IN_USE', {
  status: 409,
  message: (what: string, ids: readonly number[]) =>
    `${what} is used by connection${ids.length > 1 ? 's' : ''} ${ids.join(', ')}; delete ${ids.length > 1 ? 'them' : 'it'} or point ${ids.length > 1 ? 'them' : 'it'} elsewhere first.`,
});
