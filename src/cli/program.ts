/**
 * The `shipcast` command: `serve` and `check` (given by the root, which owns start-up), the
 * management API's commands, `send` and `rotate-key`. Exit codes: 0 ok, 1 failed, 2 usage — a
 * usage error commander finds (unknown command or option, missing argument) is 2 as well.
 */
import { existsSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { deliveriesCommand } from "./deliveries-commands.js";
import { emitCommand } from "./emit-command.js";
import { eventsCommand } from "./events-commands.js";
import { CliError, EXIT } from "./exit-codes.js";
import { notificationsCommand } from "./notifications-commands.js";
import { rotateKeyCommand } from "./rotate-key-command.js";
import { sendCommand } from "./send-command.js";
import { tokensCommand } from "./tokens-commands.js";

/** What only the root can do: start the server, and check what a start would read. */
export interface RootCommands {
  version: string;
  /** Starts the server; resolves once it listens (the process then keeps running). */
  serve(): Promise<void>;
  /** Checks the configuration, printing what start-up would; resolves with the exit code. */
  check(): Promise<number>;
}

/** The program, and how to run it with the exit codes above. */
export interface ShipcastProgram {
  command: Command;
  /**
   * Runs the command line (`process.argv`); resolves with the exit code, or undefined when the
   * server was started and the process must keep running. No arguments means `serve`.
   */
  run(argv: string[]): Promise<number | undefined>;
}

/** Builds the `shipcast` program around the root's `serve` and `check`. */
export function createProgram(root: RootCommands): ShipcastProgram {
  let serving = false;
  let checkCode: number = EXIT.ok;

  const program = new Command("shipcast")
    .description("Shipcast, the self-hosted deploy-notification hub")
    .version(root.version)
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .addHelpText(
      "after",
      `
Exit codes: 0 ok, 1 failed (the server said no, the network failed, a check found a problem),
2 wrong usage. Commands that talk to a running Shipcast read SHIPCAST_URL (default
http://localhost:3000) and SHIPCAST_TOKEN, or --url and --token. A .env file in the working
directory is read first, as the server reads it.`,
    );

  program
    .command("serve")
    .description("start the server (what npm start runs)")
    .action(async () => {
      await root.serve();
      serving = true;
    });

  program
    .command("check")
    .description(
      "check the environment and the routing file without starting anything (exit 1 on a problem)",
    )
    .action(async () => {
      checkCode = await root.check();
    });

  eventsCommand(program);
  deliveriesCommand(program);
  notificationsCommand(program);
  tokensCommand(program);
  sendCommand(program);
  emitCommand(program);
  rotateKeyCommand(program);

  return {
    command: program,
    async run(argv) {
      const args = argv.slice(2);
      if (args.length === 0) args.push("serve");
      if (existsSync(".env")) process.loadEnvFile(".env");
      try {
        await program.parseAsync(args, { from: "user" });
      } catch (error) {
        return report(error);
      }
      if (serving) return undefined;
      return checkCode;
    },
  };
}

/** Prints a command's failure and says how to exit. */
function report(error: unknown): number {
  // Commander printed its own message already; help and --version end with 0.
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof CliError) {
    process.stderr.write(`shipcast: ${error.message}\n`);
    for (const line of error.details) process.stderr.write(`${line}\n`);
    return error.exitCode;
  }
  process.stderr.write(`shipcast: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.failed;
}
