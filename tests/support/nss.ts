/**
 * An NSS certificate database (cert9.db) that trusts one CA for TLS servers, made with
 * `certutil` (Debian's libnss3-tools): the certificate store of a Firefox profile, and of
 * Chromium on Linux at `$HOME/.pki/nssdb`. How a browser learns to trust a private CA without
 * turning certificate checks off.
 */
import { requireBinary } from "./binaries.ts";

/** Creates the database in `dir` (no password) and adds `caFile` as a trusted server CA. */
export async function trustCaInNssDb(dir: string, caFile: string): Promise<void> {
  requireBinary("certutil");
  await Deno.mkdir(dir, { recursive: true });
  const db = `sql:${dir}`;
  await certutil(["-N", "-d", db, "--empty-password"]);
  // "C,,": a CA trusted to issue server certificates (not client or e-mail ones).
  await certutil(["-A", "-d", db, "-n", "DoH gateway test CA", "-t", "C,,", "-i", caFile]);
}

async function certutil(args: string[]): Promise<void> {
  const output = await new Deno.Command("certutil", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(10_000),
  }).output();
  if (!output.success) {
    const text = new TextDecoder();
    const reason = `${text.decode(output.stdout)}${text.decode(output.stderr)}`.trim();
    throw new Error(`certutil ${args.join(" ")} failed: ${reason}`);
  }
}
