/**
 * Throw-away certificates for localhost / 127.0.0.1, made with openssl, for TLS doors and
 * upstreams in tests. Programs that take a certificate to trust (Deno's `caCerts`, kdig) get
 * the self-signed one; browsers only trust a real CA, so they get one that a test CA signed.
 */
import { requireBinary } from "./binaries.ts";

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  /** PEM text of the certificate. */
  cert: string;
  /** PEM text of the private key. */
  key: string;
}

export interface CaSignedCertificate extends TestCertificate {
  /** The CA that signed `cert`: what a browser's certificate store is told to trust. */
  caFile: string;
}

/** The gateway's settings that put TLS with `cert` on its HTTP door (and on DoT, if it has one). */
export const tlsEnv = (cert: TestCertificate): { TLS_CERT: string; TLS_KEY: string } => ({
  TLS_CERT: cert.certFile,
  TLS_KEY: cert.keyFile,
});

const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
const CA = ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"];
const SERVER = [
  "subjectAltName=DNS:localhost,IP:127.0.0.1",
  "basicConstraints=critical,CA:FALSE",
  "extendedKeyUsage=serverAuth",
];

/**
 * Writes cert.pem and key.pem into `dir` (self-signed, P-256, CN=localhost, 2 days), for
 * localhost and 127.0.0.1, or for the DNS names given (a wildcard such as "*.dns.test" too)
 * and 127.0.0.1.
 */
export async function makeCertificate(dir: string, names?: string[]): Promise<TestCertificate> {
  const certFile = `${dir}/cert.pem`;
  const keyFile = `${dir}/key.pem`;
  const extensions = names === undefined ? SERVER : [
    `subjectAltName=${names.map((name) => `DNS:${name}`).join(",")},IP:127.0.0.1`,
    ...SERVER.slice(1),
  ];
  await selfSigned("/CN=localhost", extensions, keyFile, certFile);
  return await read(certFile, keyFile);
}

/**
 * Writes ca.pem (a test CA, 2 days) and cert.pem / key.pem signed by it (localhost and
 * 127.0.0.1, P-256) into `dir`. Browsers refuse a self-signed server certificate as its own
 * trust anchor; a CA they are told to trust is what a private deployment does too.
 */
export async function makeCaSignedCertificate(dir: string): Promise<CaSignedCertificate> {
  const caFile = `${dir}/ca.pem`;
  const caKey = `${dir}/ca-key.pem`;
  const request = `${dir}/cert.csr`;
  const extensions = `${dir}/cert.ext`;
  const certFile = `${dir}/cert.pem`;
  const keyFile = `${dir}/key.pem`;
  await selfSigned("/CN=DoH gateway test CA", CA, caKey, caFile);
  const newKey = ["-keyout", keyFile, "-out", request];
  await openssl(["req", "-new", ...KEY, "-subj", "/CN=localhost", ...newKey]);
  await Deno.writeTextFile(extensions, SERVER.join("\n") + "\n");
  const sign = ["-CA", caFile, "-CAkey", caKey, "-days", "2", "-extfile", extensions];
  await openssl(["x509", "-req", "-in", request, ...sign, "-out", certFile]);
  return { ...(await read(certFile, keyFile)), caFile };
}

/** A new P-256 key and a certificate for it signed by itself, valid 2 days. */
async function selfSigned(
  subject: string,
  extensions: string[],
  keyFile: string,
  certFile: string,
): Promise<void> {
  await openssl([
    "req",
    "-x509",
    ...KEY,
    "-days",
    "2",
    "-subj",
    subject,
    ...extensions.flatMap((extension) => ["-addext", extension]),
    "-keyout",
    keyFile,
    "-out",
    certFile,
  ]);
}

async function openssl(args: string[]): Promise<void> {
  requireBinary("openssl");
  const output = await new Deno.Command("openssl", {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  if (!output.success) {
    const reason = new TextDecoder().decode(output.stderr).trim();
    throw new Error(`openssl could not make a test certificate: ${reason}`);
  }
}

async function read(certFile: string, keyFile: string): Promise<TestCertificate> {
  return {
    certFile,
    keyFile,
    cert: await Deno.readTextFile(certFile),
    key: await Deno.readTextFile(keyFile),
  };
}
