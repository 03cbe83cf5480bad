/**
 * A throw-away self-signed certificate for localhost / 127.0.0.1, made with openssl, for TLS
 * doors and upstreams in tests (clients trust it by passing it as `caCerts`).
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

/** Writes cert.pem and key.pem into `dir` (P-256, CN=localhost, 2 days). */
export async function makeCertificate(dir: string): Promise<TestCertificate> {
  requireBinary("openssl");
  const certFile = `${dir}/cert.pem`;
  const keyFile = `${dir}/key.pem`;
  const output = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-addext",
      "extendedKeyUsage=serverAuth",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  if (!output.success) {
    const reason = new TextDecoder().decode(output.stderr).trim();
    throw new Error(`openssl could not make a test certificate: ${reason}`);
  }
  return {
    certFile,
    keyFile,
    cert: await Deno.readTextFile(certFile),
    key: await Deno.readTextFile(keyFile),
  };
}
