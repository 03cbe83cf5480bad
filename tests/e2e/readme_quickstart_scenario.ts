/**
 * What tests/e2e/readme_quickstart_test.ts runs inside a network namespace with only loopback
 * (tests/support/netns.ts): the README's commands as written — Quick start, Using it, the
 * Browsers section's certificates and the Several workers command — run by bash in a copy of
 * the checkout, each in turn, with one change: UPSTREAMS points at a knot started here, which
 * serves example.com, and BLOCKLIST_URLS is empty (the default lists are on the internet).
 * Nothing in the namespace reaches anything else, so no command can have been answered by
 * Quad9. Prints one JSON line of what each command did.
 *
 * `deno run --allow-all tests/e2e/readme_quickstart_scenario.ts` (in the namespace).
 */
import { startKnot } from "../support/knot.ts";
import { codeBlocks, readmeSection, readReadme, shellCommands } from "../support/readme_blocks.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const COMMAND_TIMEOUT_MS = 30_000;
const START_TIMEOUT_MS = 30_000;
/** How many fresh HTTPS connections ask the workers, so that each gets some (SO_REUSEPORT). */
export const WORKER_CONNECTIONS = 20;
/** The name the workers are asked over those connections. */
export const WORKER_NAME = "www.example.com";

/** What the upstream holds: the address and TTL the README's od output shows, and more. */
export const EXAMPLE_ZONE = `$ORIGIN example.com.
$TTL 300
@    SOA  ns.example.com. hostmaster.example.com. 1 3600 600 86400 300
@    NS   ns
ns   A    127.0.0.1
@    A    23.192.228.80
@    AAAA 2600:1406:3a00:21::173e:2e65
@    MX   0 .
www  A    23.192.228.80
`;

export interface CommandRun {
  command: string;
  code: number;
  stdout: string;
  stderr: string;
}

export interface GatewayRun {
  command: string;
  /** The first worker's (or only) "DoH listening on …" URL; "" when it did not start. */
  listening: string;
  /** stderr up to the stop: startup lines, workers' lines with `worker N: ` in front. */
  stderr: string;
  /** The query log. */
  stdout: string;
  /** Exit code after SIGTERM. */
  code: number;
}

export interface QuickstartRun {
  /** Quick start: `bash scripts/setup.sh`, run as written. */
  setup: CommandRun;
  /** Quick start: `deno task start`, and Using it's curl commands against it. */
  start: GatewayRun;
  curl: CommandRun[];
  /** Using it: the self-signed certificate, the gateway with it, the HTTPS clients. */
  selfSigned: CommandRun[];
  tlsStart: GatewayRun;
  httpsClients: CommandRun[];
  /** Browsers: the CA and its certificate, the gateway with it, the certutil commands. */
  caRecipe: CommandRun[];
  caStart: GatewayRun;
  certutil: CommandRun[];
  /** Several workers: the command with WORKERS=2, and the doors each worker's answers came by. */
  workers: GatewayRun;
  workerAnswers: CommandRun[];
  /** Files the commands left in the checkout that its .gitignore does not ignore. */
  untracked: string[];
}

/** Starts commands as bash runs them, in `cwd`, with the upstream changed. */
function commandRunner(cwd: string, env: Record<string, string>) {
  const spawn = (command: string, piped: boolean, extra: Record<string, string> = {}) =>
    new Deno.Command("bash", {
      args: ["-c", command],
      cwd,
      env: { ...env, ...extra },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      ...(piped ? {} : { signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS) }),
    });

  async function run(command: string, extra: Record<string, string> = {}): Promise<CommandRun> {
    const output = await spawn(command, false, extra).output();
    const text = new TextDecoder();
    return {
      command,
      code: output.code,
      stdout: text.decode(output.stdout),
      stderr: text.decode(output.stderr),
    };
  }

  /** Starts a gateway command; resolves once its first worker says it listens (or it exits). */
  async function start(command: string) {
    const child = spawn(command, true).spawn();
    let stdout = "";
    let stderr = "";
    const collect = (stream: ReadableStream<Uint8Array>, add: (text: string) => void) =>
      stream.pipeThrough(new TextDecoderStream()).pipeTo(new WritableStream({ write: add }));
    const done = Promise.all([
      collect(child.stdout, (text) => void (stdout += text)),
      collect(child.stderr, (text) => void (stderr += text)),
    ]);
    let exited = false;
    const status = child.status.finally(() => exited = true);
    const deadline = Date.now() + START_TIMEOUT_MS;
    let listening = "";
    while (!exited && Date.now() < deadline) {
      listening = /^DoH listening on (\S+)$/m.exec(stderr)?.[1] ?? "";
      if (listening !== "") break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return {
      listening,
      async stop(): Promise<GatewayRun> {
        if (!exited) child.kill("SIGTERM");
        const { code } = await status;
        await done;
        return { command, listening, stderr, stdout, code };
      },
    };
  }

  return { run, start };
}

/** A copy of the checkout as a fresh clone would have it (tracked files and new ones). */
async function copyCheckout(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "readme-quickstart-" });
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  const files = new TextDecoder().decode(listed.stdout).split("\0").filter((file) => file !== "");
  for (const file of files) {
    try {
      await Deno.mkdir(`${dir}/${file.split("/").slice(0, -1).join("/")}`, { recursive: true });
      await Deno.copyFile(`${ROOT}${file}`, `${dir}/${file}`);
    } catch (error) {
      // Deleted in the working tree but not yet in the index: not in a fresh clone either.
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return dir;
}

/** Files under `dir` (relative paths), without folders. */
async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) files.push(...await filesUnder(dir, `${path}/`));
    else files.push(path);
  }
  return files;
}

/** Of `paths`, those the checkout's .gitignore does not ignore. */
async function notIgnored(paths: string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const output = await new Deno.Command("git", {
    args: ["check-ignore", "--no-index", "--", ...paths],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  const ignored = new Set(new TextDecoder().decode(output.stdout).split("\n"));
  return paths.filter((path) => !ignored.has(path));
}

const isStart = (command: string) => /\bdeno task start\b/.test(command);

async function scenario(): Promise<QuickstartRun> {
  const readme = await readReadme();
  // A block the README lacks is no command: its checks fail, the others still run.
  const section = (heading: string) => {
    const blocks = codeBlocks(readmeSection(readme, heading), "sh");
    return [...blocks, "", ""];
  };
  const [quickStart] = section("Quick start");
  const [curlBlock, selfSignedBlock, clientsBlock] = section("Using it");
  const [caBlock, certutilBlock] = section("Browsers");
  const [workersBlock] = section("Several workers");

  const dir = await copyCheckout();
  const home = await Deno.makeTempDir({ prefix: "readme-home-" });
  const before = new Set(await filesUnder(dir));
  const knot = await startKnot({ origin: "example.com", zoneText: EXAMPLE_ZONE });
  const { run, start } = commandRunner(dir, {
    ...Deno.env.toObject(),
    UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
    BLOCKLIST_URLS: "",
  });
  const runAll = async (commands: string[], extra: Record<string, string> = {}) => {
    const runs: CommandRun[] = [];
    for (const command of commands) runs.push(await run(command, extra));
    return runs;
  };
  /** Runs a block's commands but its `deno task start…` line, then starts that one. */
  const recipeThenStart = async (block: string) => {
    const commands = shellCommands(block);
    const startLine = commands.find(isStart) ?? "";
    const runs = await runAll(commands.filter((command) => command !== startLine));
    return { runs, gateway: await start(startLine) };
  };

  try {
    const quick = shellCommands(quickStart);
    // `deno task test` is the run this scenario is part of: not run again in here.
    const setup = await run(quick.find((command) => command.includes("setup.sh")) ?? "");
    const plain = await start(quick.find(isStart) ?? "");
    const curl = await runAll(shellCommands(curlBlock));
    const startRun = await plain.stop();

    const selfSigned = await recipeThenStart(selfSignedBlock);
    const httpsClients = await runAll(shellCommands(clientsBlock));
    const tlsStart = await selfSigned.gateway.stop();

    const ca = await recipeThenStart(caBlock);
    const caStart = await ca.gateway.stop();
    // A HOME with no NSS store yet, as on a machine where Chromium never ran. The Firefox
    // line needs a profile folder of the reader's: tests/e2e/browsers_test.ts does that one.
    const certutil = await runAll(
      shellCommands(certutilBlock).filter((command) => !command.includes("<")),
      { HOME: home },
    );

    const [workersLine = ""] = shellCommands(workersBlock);
    const workers = await start(workersLine.replace(/\bWORKERS=\d+/, "WORKERS=2"));
    const workerAnswers = await runAll(
      Array.from(
        { length: WORKER_CONNECTIONS },
        () =>
          `curl -s --cacert ca.pem -o /dev/null -w '%{http_code}' ` +
          `'https://127.0.0.1:8443/resolve?name=${WORKER_NAME}'`,
      ),
    );
    const workersRun = await workers.stop();

    const created = (await filesUnder(dir)).filter((file) => !before.has(file));
    return {
      setup,
      start: startRun,
      curl,
      selfSigned: selfSigned.runs,
      tlsStart,
      httpsClients,
      caRecipe: ca.runs,
      caStart,
      certutil,
      workers: workersRun,
      workerAnswers,
      untracked: await notIgnored(created),
    };
  } finally {
    await knot.stop();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(home, { recursive: true });
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await scenario()));
}
