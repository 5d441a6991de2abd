/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/** `/tokens` (admin only): create an API token (shown once, with a copy button), list, revoke. */
import type { Context, Hono } from "hono";
import { InputError } from "../services/service-errors.js";
import type { Services } from "../services/services.js";
import type { TokenView } from "../services/tokens/tokens-service.js";
import { Badge, CopyField, Csrf, Notice, Time } from "./components.js";
import { Layout } from "./layout.js";
import { needs, signedIn } from "./session.js";
import type { WebEnv } from "./web-env.js";

interface TokensPageProps {
  c: Context<WebEnv>;
  tokens: TokenView[];
  created?: TokenView & { token: string };
  notice?: { tone: "good" | "bad"; text: string };
  nameError?: string;
}

function TokensPage(props: TokensPageProps) {
  const session = props.c.var.session;
  return (
    <Layout title="API tokens" session={session} section="tokens">
      <h1>API tokens</h1>
      {props.notice && <Notice tone={props.notice.tone}>{props.notice.text}</Notice>}
      {props.created && (
        <section class="created-token" aria-labelledby="created">
          <h2 id="created">Token “{props.created.name}” created</h2>
          <p>
            Copy it now: it is shown this once and stored only as a hash. Scope{" "}
            {props.created.scope}.
          </p>
          <CopyField id="new-token" label="The new token" value={props.created.token} />
        </section>
      )}
      <section aria-labelledby="create">
        <h2 id="create">Create a token</h2>
        <form class="inline-form" method="post" action="/tokens">
          <Csrf token={session.csrfToken} />
          <div class={`field${props.nameError ? " has-error" : ""}`}>
            <label for="token-name">Name</label>
            <input
              id="token-name"
              name="name"
              type="text"
              required
              maxlength={100}
              aria-invalid={props.nameError ? "true" : undefined}
              aria-describedby={props.nameError ? "err-name" : undefined}
            />
            {props.nameError && (
              <p class="field-error" id="err-name">
                {props.nameError}
              </p>
            )}
          </div>
          <div class="field">
            <label for="token-scope">Scope</label>
            <select id="token-scope" name="scope">
              <option value="read">read: look only</option>
              <option value="write">write: everything but tokens</option>
            </select>
          </div>
          <button type="submit">Create token</button>
        </form>
      </section>
      <section aria-labelledby="list">
        <h2 id="list">Tokens</h2>
        {props.tokens.length === 0 ? (
          <p>No API tokens yet.</p>
        ) : (
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scope</th>
                <th scope="col">Token</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {props.tokens.map((token) => (
                <tr>
                  <td class="wrap">
                    {token.name}
                    <div class="small muted">{token.id}</div>
                  </td>
                  <td>{token.scope}</td>
                  <td>
                    <code>{token.token_hint}</code>
                  </td>
                  <td>
                    <Time iso={token.created_at} />
                  </td>
                  <td>
                    <Time iso={token.last_used_at} />
                  </td>
                  <td>
                    {token.revoked_at ? (
                      <Badge tone="neutral">revoked</Badge>
                    ) : (
                      <form method="post" action={`/tokens/${encodeURIComponent(token.id)}/revoke`}>
                        <Csrf token={session.csrfToken} />
                        <button type="submit" class="danger" aria-label={`Revoke ${token.name}`}>
                          Revoke
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </Layout>
  );
}

/** Registers the token pages; they need the admin token. */
export function tokensRoutes(app: Hono<WebEnv>, services: Services): void {
  const { tokens } = services;

  app.get("/tokens", signedIn(services), needs("admin"), async (c) => {
    const notice =
      c.req.query("done") === "revoked" ? { tone: "good" as const, text: "Revoked." } : undefined;
    return c.html(<TokensPage c={c} tokens={await tokens.list()} notice={notice} />);
  });

  app.post("/tokens", signedIn(services), needs("admin"), async (c) => {
    const form = await c.req.parseBody();
    const name = typeof form.name === "string" ? form.name.trim() : "";
    let created: TokenView & { token: string };
    try {
      created = await tokens.createFromRequest({ name, scope: form.scope });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      c.status(422);
      const nameError = error.problems.map((p) => `${p.field}: ${p.message}`).join("; ");
      return c.html(<TokensPage c={c} tokens={await tokens.list()} nameError={nameError} />);
    }
    // Shown in this answer only; never in a redirect or a URL.
    return c.html(<TokensPage c={c} tokens={await tokens.list()} created={created} />);
  });

  app.post("/tokens/:id/revoke", signedIn(services), needs("admin"), async (c) => {
    const revoked = await tokens.revoke(c.req.param("id"));
    if (!revoked) {
      c.status(404);
      return c.html(
        <TokensPage
          c={c}
          tokens={await tokens.list()}
          notice={{ tone: "bad", text: `No live token ${c.req.param("id")}.` }}
        />,
      );
    }
    return c.redirect("/tokens?done=revoked", 303);
  });
}
