import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_DATABASE_URL, envSchema, parseDatabaseUrl } from "../config/env.js";
import { openStore } from "../store/database.js";
import { SecretBox } from "../store/secret-box.js";
import { rotateSecrets, SecretRotationError } from "../store/secret-rotation.js";
import { describeHolder, StoreLockedError } from "../store/sqlite-lock.js";
import { jsonOption } from "./client-options.js";
import { CliError, UsageError } from "./exit-codes.js";
import { processOutput } from "./output.js";

/** A key as SHIPCAST_ENCRYPTION_KEY takes it: 32 bytes, base64 or hex. */
function parseKey(value: string): Buffer {
  const parsed = envSchema.shape.SHIPCAST_ENCRYPTION_KEY.safeParse(value);
  if (!parsed.success || parsed.data === undefined) {
    throw new InvalidArgumentError(
      "expected 32 bytes as base64 or hex (generate one with: openssl rand -base64 32)",
    );
  }
  return parsed.data;
}

function databaseUrlOption(value: string): string {
  if (parseDatabaseUrl(value) === undefined) {
    throw new InvalidArgumentError(
      "expected sqlite:<path> or postgres://user:password@host:port/database",
    );
  }
  return value;
}

/** `shipcast rotate-key --from OLD --to NEW`: re-encrypts the stored secrets, offline. */
export function rotateKeyCommand(program: Command): Command {
  return program
    .command("rotate-key")
    .description(
      "re-encrypt every stored secret with a new SHIPCAST_ENCRYPTION_KEY, offline, in one transaction",
    )
    .requiredOption("--from <key>", "the key the secrets are stored with now", parseKey)
    .requiredOption("--to <key>", "the new key (openssl rand -base64 32)", parseKey)
    .addOption(
      new Option("--database-url <url>", "the store")
        .env("DATABASE_URL")
        .default(DEFAULT_DATABASE_URL)
        .argParser(databaseUrlOption),
    )
    .addOption(jsonOption())
    .addHelpText(
      "after",
      `
Stop Shipcast first. Every secret is opened with --from before any is written: if one cannot be
opened, nothing changes (exit 1). Then start Shipcast with SHIPCAST_ENCRYPTION_KEY set to --to.

Example:
  NEW=$(openssl rand -base64 32)
  DATABASE_URL=sqlite:./data/shipcast.db shipcast rotate-key --from "$SHIPCAST_ENCRYPTION_KEY" --to "$NEW"`,
    )
    .action(async (options: { from: Buffer; to: Buffer; databaseUrl: string; json?: boolean }) => {
      const from = new SecretBox(options.from);
      const to = new SecretBox(options.to);
      if (from.keyId === to.keyId) throw new UsageError("--from and --to are the same key");
      const url = options.databaseUrl;
      if (url.startsWith("sqlite:")) {
        const path = url.slice("sqlite:".length);
        if (path === ":memory:" || !existsSync(resolve(path))) {
          throw new CliError(`no SQLite database at ${path} (DATABASE_URL)`);
        }
      }
      const location = parseDatabaseUrl(url);
      if (!location) throw new CliError(`not a DATABASE_URL: ${url}`);
      let store: Awaited<ReturnType<typeof openStore>>;
      try {
        store = await openStore(location, { lock: "shipcast rotate-key" });
      } catch (error) {
        if (!(error instanceof StoreLockedError)) throw error;
        throw new CliError(
          `nothing was changed: the SQLite file ${error.file} is in use by ${describeHolder(error.holder)}; rotate-key runs offline: stop Shipcast first`,
        );
      }
      let rotated: Awaited<ReturnType<typeof rotateSecrets>>;
      try {
        rotated = await rotateSecrets(store, from, to);
      } catch (error) {
        if (error instanceof SecretRotationError) {
          throw new CliError(`nothing was changed: ${error.message}`);
        }
        throw error;
      } finally {
        await store.close();
      }
      const out = processOutput(options.json === true);
      if (out.json) {
        return out.data({
          rotated: rotated.rotated,
          notifications: rotated.notifications,
          sources: rotated.sources,
          build_hooks: rotated.buildHooks,
          key_id: to.keyId,
        });
      }
      out.line(
        `re-encrypted the secrets of ${rotated.notifications} notification(s), ${rotated.sources} source(s) and ${rotated.buildHooks} build hook(s) with the new key (key id ${to.keyId})`,
      );
      out.note("start Shipcast with SHIPCAST_ENCRYPTION_KEY set to the new key");
    });
}
