/** Running the real clients e2e tests talk to the gateway with (kdig, dig, curl). */

/** Runs `command` and returns its stdout; throws with its stderr when it fails. */
export async function run(command: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(command, { args, stdin: "null" }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed:\n${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return stdout;
}

/** Sorted, non-empty answer lines of a `+short` run, so two runs compare as sets. */
export const lines = (text: string): string[] =>
  text.split("\n").map((l) => l.trim()).filter((l) => l).sort();
