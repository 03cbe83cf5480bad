/**
 * When lists are synced by the server: once at startup (in the background, so the door opens
 * at once, and after `startDelayMs`, so the first queries of a fresh process, often the ones
 * that waited for it, are not answered between slices of a big list), then every refresh
 * interval; a list that failed with nothing to fall back on is
 * retried sooner (after a minute, doubling up to the refresh interval), so a server started
 * while the network was down does not wait a day for its lists.
 *
 * On Deno Deploy, where isolates come and go, an hourly `Deno.cron` job does the refreshing
 * instead; it must be registered while the module first evaluates, so registration comes
 * first and the sync is attached later. A sync that finds its lists fresh (in Redis, loaded
 * by another instance) does nothing, so running often is cheap.
 */
import type { ListSyncer } from "./lazy_sync.ts";
import type { SyncReport } from "./sync.ts";
import { type LightTimeout, lightTimeout } from "../runtime/light_timer.ts";

export interface SyncSchedule {
  /** Runs the first sync now and the next ones on schedule. */
  start(sync: ListSyncer): void;
  /** Reads these lists again now (a local list file changed), saying what came of it. */
  reload(names: readonly string[]): Promise<void>;
  stop(): void;
}

export interface ScheduleOptions {
  refreshMs: number;
  /** First retry delay after a list failed with nothing loaded, milliseconds. */
  retryMs?: number;
  /** How long after `start` the first sync runs, milliseconds (0 by default). */
  startDelayMs?: number;
  print?: (line: string) => void;
}

type Cron = (name: string, schedule: string, handler: () => Promise<void>) => Promise<void>;

const FIRST_RETRY_MS = 60_000;

export function scheduleSync(options: ScheduleOptions): SyncSchedule {
  const print = options.print ?? console.error;
  const firstRetryMs = Math.min(options.retryMs ?? FIRST_RETRY_MS, options.refreshMs);
  let target: ListSyncer | undefined;
  let startTimer: LightTimeout | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let retryMs = firstRetryMs;
  let stopped = false;

  const run = async (only?: readonly string[]): Promise<SyncReport | undefined> => {
    if (!target) return undefined;
    try {
      const report = await target.run(only !== undefined, only);
      // Loaded with the first report, not before the first answer.
      const { describeReport } = await import("./describe_report.ts");
      for (const line of describeReport(report)) print(line);
      return report;
    } catch (error) {
      print(`blocklist sync failed: ${error instanceof Error ? error.message : error}`);
      return undefined;
    }
  };
  /** Runs, then plans the next run: soon when a list is missing, else a refresh later. */
  const cycle = async () => {
    const report = await run();
    if (stopped) return;
    const missing = !report || report.lists.some((list) => list.blockEntries === undefined);
    const delay = missing ? retryMs : options.refreshMs;
    retryMs = missing ? Math.min(retryMs * 2, options.refreshMs) : firstRetryMs;
    timer = setTimeout(() => void cycle(), delay);
  };

  const cron = (Deno as unknown as { cron?: Cron }).cron;
  const onDeploy = Deno.env.get("DENO_DEPLOYMENT_ID") !== undefined && typeof cron === "function";
  if (onDeploy) {
    cron("blocklist sync", "0 * * * *", async () => void await run()).catch(() => {});
  }
  return {
    start(sync) {
      target = sync;
      const first = onDeploy ? () => void run() : () => void cycle();
      // Set before the first answers: not Node's setTimeout (see light_timer.ts).
      startTimer = lightTimeout(options.startDelayMs ?? 0, first);
    },
    async reload(names) {
      if (!stopped) await run(names);
    },
    stop() {
      stopped = true;
      startTimer?.cancel();
      clearTimeout(timer);
    },
  };
}
