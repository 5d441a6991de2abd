#!/usr/bin/env node
// The `shipcast` command from a checkout (`npx shipcast …`): the TypeScript sources run through
// tsx, a dependency, as `npm start` runs them. Registering tsx first lets Node import the .ts.
import "tsx";

await import("../src/main.ts");
