/** Running the real clients e2e tests talk to the gateway with (kdig, dig, curl). */

/** What a command that ran to its end left: its exit code and its output. */
export interface Ran {
  code: number;
  success: boolean;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  signal?: AbortSignal;
}

/** Runs `command` to its end, whatever its exit code; the caller judges the outcome. */
export async function runToEnd(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<Ran> {
  const output = await new Deno.Command(command, { args, stdin: "null", ...options }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    success: output.success,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

/** Runs `command` and returns its stdout; throws with its stderr when it fails. */
export async function run(command: string, args: string[]): Promise<string> {
  const { success, stdout, stderr } = await runToEnd(command, args);
  if (!success) throw new Error(`${command} ${args.join(" ")} failed:\n${stderr}`);
  return stdout;
}

/** Sorted, non-empty answer lines of a `+short` run, so two runs compare as sets. */
export const lines = (text: string): string[] =>
  text.split("\n").map((l) => l.trim()).filter((l) => l).sort();
