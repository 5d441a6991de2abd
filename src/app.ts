import type { ApplicationFunction } from "probot";

/**
 * The Probot app function. It stays thin: deploy events take Shipcast's own path (verify, store,
 * normalize, route) and reach Probot only after they are committed, through `probot.receive()`,
 * so handlers here run with installation-authenticated clients but never on the request path.
 *
 * A closed pull request is no business of the app function either: the GitHub normalizer turns
 * it into a `change.closed` event, which the outbox delivers to the `github-comment` output like
 * any other delivery (with its attempt record and retries).
 */
export function createShipcastApp(): ApplicationFunction {
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
  };
}

/** The app as Probot's own tooling loads it (used by `npm run register`, Probot's setup flow). */
export const shipcastApp: ApplicationFunction = createShipcastApp();
