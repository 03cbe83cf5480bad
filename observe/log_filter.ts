/**
 * Which query-log entries a person asked to see (`/admin/log`, the dashboard's recent
 * queries): one client, by its display name or by the client the log kept (address or
 * pseudonym), and one profile. Names and addresses compare without case. An entry without a
 * profile is the default profile's (log_line_bytes.ts leaves it unsaid).
 */
import { DEFAULT_PROFILE } from "../pipeline/profile.ts";

export interface LogFilter {
  /** Lower-cased; a display name or a logged client. */
  readonly client?: string;
  /** Lower-cased profile name. */
  readonly profile?: string;
}

/** Longest client a filter takes (a display name, an IPv6 address, a pseudonym fit). */
export const MAX_FILTER_CLIENT = 256;

const PROFILE_NAME = /^[a-z0-9-]{1,63}$/i;

/** The filter the parameters ask for (empty ones ask for nothing), or what is wrong with them. */
export function logFilter(
  given: { client?: string; profile?: string },
): LogFilter | { error: string } {
  const { client, profile } = given;
  if (client !== undefined && client.length > MAX_FILTER_CLIENT) {
    return {
      error:
        `client: expected a client's name or address of at most ${MAX_FILTER_CLIENT} characters, got ${client.length}`,
    };
  }
  if (profile !== undefined && profile !== "" && !PROFILE_NAME.test(profile)) {
    const shown = JSON.stringify(profile.slice(0, 80));
    return {
      error: `profile=${shown}: expected a profile name: letters, digits and '-', 1-63 long`,
    };
  }
  return {
    client: client ? client.toLowerCase() : undefined,
    profile: profile ? profile.toLowerCase() : undefined,
  };
}

/** Whether the filter asks for anything. */
export function filters(filter: LogFilter): boolean {
  return filter.client !== undefined || filter.profile !== undefined;
}

/** Whether `entry` (a log entry, or one read back from its JSON line) is one the filter shows. */
export function shows(
  filter: LogFilter,
  entry: { client?: unknown; clientName?: unknown; profile?: unknown },
): boolean {
  if (filter.profile !== undefined && filter.profile !== (entry.profile ?? DEFAULT_PROFILE)) {
    return false;
  }
  const client = filter.client;
  if (client === undefined) return true;
  return lowerCase(entry.clientName) === client || lowerCase(entry.client) === client;
}

function lowerCase(value: unknown): string | undefined {
  return typeof value === "string" ? value.toLowerCase() : undefined;
}
