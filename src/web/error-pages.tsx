/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/** The dashboard's answers for what cannot be shown. */
import type { Session } from "../services/sessions/sessions-service.js";
import type { Scope } from "../services/tokens/tokens-service.js";
import { Layout, principalLabel } from "./layout.js";

export function ForbiddenPage(props: { session: Session; scope: Scope }) {
  const why =
    props.scope === "admin"
      ? "Only SHIPCAST_ADMIN_TOKEN may manage API tokens."
      : "This needs a token with the write scope.";
  return (
    <Layout title="Not allowed" session={props.session}>
      <h1>Not allowed</h1>
      <p>
        You are signed in with the {principalLabel(props.session)}. {why}
      </p>
    </Layout>
  );
}

export function NotFoundPage(props: { session?: Session; what: string }) {
  return (
    <Layout title="Not found" session={props.session}>
      <h1>Not found</h1>
      <p>{props.what}</p>
      <p>
        <a href="/">Back to the overview</a>
      </p>
    </Layout>
  );
}

export function ErrorPage(props: { session?: Session; message: string }) {
  return (
    <Layout title="Error" session={props.session}>
      <h1>Something went wrong</h1>
      <p>{props.message}</p>
    </Layout>
  );
}
