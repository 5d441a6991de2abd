import { SmeeClient } from "smee-client";
import type { Logger } from "../logging/logger.js";

/**
 * Local development: forwards a smee.io channel (WEBHOOK_PROXY_URL) to this server's GitHub
 * route, the way Probot does, so GitHub can reach a laptop.
 */
export async function startWebhookProxy(
  source: string,
  port: number,
  log: Logger,
): Promise<{ stop(): Promise<void> }> {
  const target = `http://127.0.0.1:${port}/api/github/webhooks`;
  const client = new SmeeClient({
    source,
    target,
    logger: {
      info: (...args: unknown[]) => log.info(args.map(String).join(" ")),
      error: (...args: unknown[]) => log.error(args.map(String).join(" ")),
    },
  });
  await client.start();
  log.info(`forwarding ${source} to ${target}`);
  return { stop: () => client.stop() };
}
