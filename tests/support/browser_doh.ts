/**
 * How each browser is set to resolve every name through the gateway and nothing else — the
 * settings the README's "Browsers" section gives users — on a fresh profile that trusts the
 * gateway's CA in its own NSS certificate store (no certificate check is turned off).
 */
import type { BrowserOptions } from "./browser_process.ts";
import { trustCaInNssDb } from "./nss.ts";

/**
 * Chromium: secure DNS in "secure" mode (no fallback to the system resolver) with the gateway
 * as the only template, in the profile's `Local State`; the error page's DNS probe (which asks
 * google.com to tell a broken network from a bad name) off in `Default/Preferences`.
 */
export function chromiumSecureDns(template: string, caFile: string): BrowserOptions {
  return {
    async prepare(profile) {
      const localState = { dns_over_https: { mode: "secure", templates: template } };
      await Deno.writeTextFile(`${profile}/Local State`, JSON.stringify(localState));
      await Deno.mkdir(`${profile}/Default`);
      const preferences = { alternate_error_pages: { enabled: false } };
      await Deno.writeTextFile(`${profile}/Default/Preferences`, JSON.stringify(preferences));
      // Chromium on Linux keeps the user's certificate store here, whatever the profile.
      await trustCaInNssDb(`${profile}/.pki/nssdb`, caFile);
    },
  };
}

/**
 * Firefox's user.js lines: TRR (its DoH) only, never the system resolver. No more is needed,
 * not even on loopback: TRR-only mode skips the confirmation query, and the answers' loopback
 * addresses are taken as they are.
 */
export function firefoxTrrPrefs(uri: string): Record<string, string | number> {
  return {
    "network.trr.mode": 3,
    "network.trr.uri": uri,
    // Shown as the "Custom" provider in Settings → Privacy & Security → DNS over HTTPS.
    "network.trr.custom_uri": uri,
  };
}

/** Firefox: the prefs above in the profile's user.js, the CA in the profile's cert9.db. */
export function firefoxTrr(uri: string, caFile: string): BrowserOptions {
  return {
    async prepare(profile) {
      const lines = Object.entries(firefoxTrrPrefs(uri)).map(([name, value]) =>
        `user_pref(${JSON.stringify(name)}, ${JSON.stringify(value)});`
      );
      await Deno.writeTextFile(`${profile}/user.js`, lines.join("\n") + "\n");
      await trustCaInNssDb(profile, caFile);
    },
  };
}
