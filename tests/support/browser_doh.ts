/**
 * How each browser is set to resolve every name through the gateway and nothing else — the
 * settings the README's "Browsers" section gives users — on a fresh profile that trusts the
 * gateway's CA in its own NSS certificate store (no certificate check is turned off).
 */
import { launchChromium } from "./browser.ts";
import type { BrowserOptions } from "./browser_process.ts";
import { launchFirefox } from "./firefox.ts";
import { trustCaInNssDb } from "./nss.ts";

export type BrowserName = "chromium" | "firefox";

/**
 * Loads `url` in a fresh `browser` whose only resolver is the DoH `template`, and returns the
 * page's first heading ("" when the page did not load, e.g. its name did not resolve).
 */
export async function headingThroughDoh(
  browser: BrowserName,
  template: string,
  caFile: string,
  url: string,
): Promise<string> {
  if (browser === "chromium") {
    const chromium = await launchChromium(chromiumSecureDns(template, caFile));
    try {
      const page = await chromium.newPage();
      // A name that does not resolve loads Chromium's error page, whose heading is not ours.
      await page.goto(url);
      const heading = await page.text("h1");
      await page.close();
      return heading;
    } finally {
      await chromium.close();
    }
  }
  const page = await launchFirefox(firefoxTrr(template, caFile));
  try {
    try {
      await page.goto(url);
    } catch {
      // Firefox's navigation fails outright when the name does not resolve.
      return "";
    }
    return await page.text("h1");
  } finally {
    await page.close();
  }
}

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
