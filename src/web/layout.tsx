/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
/** The page around every dashboard page: head, navigation, who is signed in, sign-out. */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { Session } from "../services/sessions/sessions-service.js";
import { allows } from "../services/tokens/tokens-service.js";

/** The sections of the navigation. */
export type Section =
  | "overview"
  | "events"
  | "deliveries"
  | "notifications"
  | "tokens"
  | "docs"
  | "none";

export interface LayoutProps {
  title: string;
  session?: Session;
  section?: Section;
  children?: Child;
  /** Extra scripts (served by the dashboard itself), after the dashboard's own. */
  scripts?: string[];
  /** Extra style sheets. */
  styles?: string[];
}

const NAV: Array<{ section: Section; href: string; label: string; admin?: boolean }> = [
  { section: "overview", href: "/", label: "Overview" },
  { section: "events", href: "/events", label: "Events" },
  { section: "deliveries", href: "/deliveries", label: "Deliveries" },
  { section: "notifications", href: "/notifications", label: "Notifications" },
  { section: "tokens", href: "/tokens", label: "Tokens", admin: true },
  { section: "docs", href: "/docs", label: "API docs" },
];

/** Who the session is, in words. */
export function principalLabel(session: Session): string {
  const { principal } = session;
  return principal.type === "admin"
    ? "admin token"
    : `API token ${principal.id} (${principal.scope === "read" ? "read-only" : "read and write"})`;
}

export function Layout(props: LayoutProps) {
  const { session, section = "none" } = props;
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${props.title} · Shipcast`}</title>
          <link rel="stylesheet" href="/static/app.css" />
          {props.styles?.map((href) => (
            <link rel="stylesheet" href={href} />
          ))}
          <script src="/static/app.js" defer />
          {props.scripts?.map((src) => (
            <script src={src} defer />
          ))}
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          <header class="top">
            <a class="brand" href="/">
              Shipcast
            </a>
            {session && (
              <nav aria-label="Sections">
                <ul>
                  {NAV.filter((item) => !item.admin || allows(session.principal, "admin")).map(
                    (item) => (
                      <li>
                        <a
                          href={item.href}
                          aria-current={item.section === section ? "page" : undefined}
                        >
                          {item.label}
                        </a>
                      </li>
                    ),
                  )}
                </ul>
              </nav>
            )}
            {session && (
              <form class="signout" method="post" action="/signout">
                <span class="who">{principalLabel(session)}</span>
                <input type="hidden" name="_csrf" value={session.csrfToken} />
                <button type="submit">Sign out</button>
              </form>
            )}
          </header>
          <main id="main">{props.children}</main>
        </body>
      </html>
    </>
  );
}
