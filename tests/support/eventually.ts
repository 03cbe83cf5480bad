/** Waiting for something that happens on its own time (a client reconnecting, a poll), bounded. */

/** Retries `check` until it passes (a client reconnecting), for at most `ms`. */
export async function eventually(check: () => Promise<void>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (true) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
