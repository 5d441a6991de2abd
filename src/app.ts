import type { ApplicationFunction } from "probot";
import { type DeployRow, renderDeployTable } from "./notifiers/kit/deploy-table.js";
import type { StickyComments } from "./store/sticky-comments-repository.js";

export interface AppDependencies {
  /** Where the sticky pull-request comments are kept. */
  sticky?: StickyComments;
}

/**
 * The Probot app function. It stays thin: deploy events take Shipcast's own path (verify, store,
 * normalize, route) and reach Probot only after they are committed, through `probot.receive()`,
 * so handlers here run with installation-authenticated clients but never on the request path.
 */
export function createShipcastApp(deps: AppDependencies = {}): ApplicationFunction {
  return (app) => {
    app.on("installation.created", async (context) => {
      const { account, repository_selection } = context.payload.installation;
      const login = account && "login" in account ? account.login : "an account";
      context.log.info(`Shipcast was installed on ${login} (${repository_selection} repositories)`);
    });

    app.on("installation.deleted", async (context) => {
      const { account } = context.payload.installation;
      const login = account && "login" in account ? account.login : "an account";
      context.log.info(`Shipcast was uninstalled from ${login}`);
    });

    // A closed pull request needs no more deploy updates: its comment says so and stays.
    app.on("pull_request.closed", async (context) => {
      if (!deps.sticky) return;
      const { repository, pull_request } = context.payload;
      const origin = new URL(repository.html_url).origin;
      const row = await deps.sticky.close({
        provider: "github",
        repository: `${origin}/${repository.full_name}`,
        number: pull_request.number,
      });
      if (!row?.comment_id) return;
      await context.octokit.rest.issues.updateComment({
        owner: repository.owner.login,
        repo: repository.name,
        comment_id: Number(row.comment_id),
        body: renderDeployTable(JSON.parse(row.rows) as DeployRow[], { closed: true }),
      });
    });
  };
}

/** The app with no store behind it (used by `npm run register`, Probot's setup flow). */
export const shipcastApp: ApplicationFunction = createShipcastApp();
