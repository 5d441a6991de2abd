import { readFileSync } from "node:fs";
import { createProgram } from "./cli/program.js";

/**
 * The `shipcast` command (and `npm start`, which is `shipcast serve`). The server is imported
 * only by `serve` and `check`: the commands that talk to a running server start fast.
 */
const { version } = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
) as { version: string };

void createProgram({
  version,
  serve: async () => {
    (await import("./heap-growth.js")).limitHeapGrowth();
    return (await import("./serve.js")).serve();
  },
  check: async () => (await import("./serve.js")).check(),
})
  .run(process.argv)
  .then((code) => {
    if (code !== undefined) process.exit(code);
  });
