/**
 * The one line a listener that cannot start becomes: the settings that asked for it, what the
 * system said, and what to do about it where that is known (a privileged port, a certificate
 * and key that are not a pair), so a person sees the fix, not the runtime's wording.
 */
import { ConfigError } from "../config.ts";

/** Ports below this need root or CAP_NET_BIND_SERVICE on Linux. */
const FIRST_UNPRIVILEGED_PORT = 1024;

/** `settings` names what asked for the listener, e.g. `HOST="0.0.0.0" HTTP_PORT="443"`. */
export function cannotListen(
  settings: string,
  port: number,
  error: unknown,
  tls?: { certVariable: string; keyVariable: string },
): ConfigError {
  const why = error instanceof Error ? error.message.split("\n", 1)[0] : String(error);
  const with_ = tls === undefined ? "" : ` with ${tls.certVariable}/${tls.keyVariable}`;
  const what = `${settings}${with_}: cannot listen (${why})`;
  if (tls !== undefined) {
    const { certVariable, keyVariable } = tls;
    if (/KeyMismatch/.test(why)) {
      return new ConfigError(
        `${settings}: ${keyVariable} does not match ${certVariable} (the private key is not the certificate's)`,
      );
    }
    if (/No keys found/i.test(why)) {
      return new ConfigError(`${settings}: ${keyVariable} holds no private key (PEM)`);
    }
    if (/No certificates found/i.test(why)) {
      return new ConfigError(`${settings}: ${certVariable} holds no certificate (PEM)`);
    }
  }
  const denied = error instanceof Deno.errors.PermissionDenied || /os error 13\b/.test(why);
  if (denied && port > 0 && port < FIRST_UNPRIVILEGED_PORT) {
    return new ConfigError(
      `${what}; ports below ${FIRST_UNPRIVILEGED_PORT} need root or CAP_NET_BIND_SERVICE ` +
        `(the systemd unit grants it: AmbientCapabilities=CAP_NET_BIND_SERVICE), or use a port above 1023`,
    );
  }
  return new ConfigError(what);
}
