import { type Command, Option } from "commander";
import { apiCommand, apiContext } from "./client-options.js";
import { type Column, fields, type Page, printPage } from "./output.js";

/** An API token as listed: never the token itself. */
interface TokenView {
  id: string;
  name: string;
  scope: string;
  token_hint: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const tokenColumns: Column<TokenView>[] = [
  { heading: "ID", value: (t) => t.id },
  { heading: "NAME", value: (t) => t.name, max: 40 },
  { heading: "SCOPE", value: (t) => t.scope },
  { heading: "HINT", value: (t) => t.token_hint },
  { heading: "CREATED", value: (t) => t.created_at },
  { heading: "LAST USED", value: (t) => t.last_used_at },
  { heading: "REVOKED", value: (t) => t.revoked_at },
];

/** `shipcast tokens create|list|revoke` (needs SHIPCAST_ADMIN_TOKEN as the token). */
export function tokensCommand(program: Command): Command {
  const tokens = program
    .command("tokens")
    .description("API tokens for scripts and dashboards (with the admin token)");

  apiCommand(tokens, "create", "create a token: it is shown this once")
    .requiredOption("--name <name>", "what the token is for")
    .addOption(
      new Option("--scope <scope>", "read: GET only; write: everything but tokens")
        .choices(["read", "write"])
        .makeOptionMandatory(),
    )
    .action(async (options: { name: string; scope: string }, command: Command) => {
      const { api, out } = apiContext(command);
      const created = await api.post<TokenView & { token: string }>("/api/v1/tokens", {
        name: options.name,
        scope: options.scope,
      });
      if (out.json) return out.data(created);
      for (const line of fields([
        ["id", created.id],
        ["name", created.name],
        ["scope", created.scope],
        ["token", created.token],
      ])) {
        out.line(line);
      }
      out.note("The token is shown this once (Shipcast keeps only its hash): store it now.");
    });

  apiCommand(tokens, "list", "list tokens (never the tokens themselves)").action(
    async (_options: unknown, command: Command) => {
      const { api, out } = apiContext(command);
      printPage(out, await api.get<Page<TokenView>>("/api/v1/tokens"), tokenColumns);
    },
  );

  apiCommand(tokens, "revoke", "revoke a token: it stops working at once")
    .argument("<id>", "token id (tok_…)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const { api, out } = apiContext(command);
      await api.delete(`/api/v1/tokens/${encodeURIComponent(id)}`);
      if (out.json) out.data({ revoked: id });
      else out.line(`revoked ${id}`);
    });

  return tokens;
}
