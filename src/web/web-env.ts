import type { HttpBindings } from "@hono/node-server";
import type { Session } from "../services/sessions/sessions-service.js";

/** What the dashboard's middleware hands its pages. */
export interface WebEnv {
  Bindings: HttpBindings;
  Variables: {
    /** The signed-in session; pages behind `signedIn` always have one. */
    session: Session;
    /** The cookie's secret of that session (to sign out). */
    sessionSecret: string;
    /** Whether the request reached us over HTTPS (socket, or a trusted proxy's word). */
    secure: boolean;
    /** The host the browser addressed (Host, or a trusted proxy's X-Forwarded-Host). */
    host: string | undefined;
  };
}
