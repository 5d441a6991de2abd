/**
 * Reference point: a Probot app with one no-op handler, served by Probot's own
 * `createNodeMiddleware` on a `node:http` server. Probot verifies the signature, parses the
 * payload, builds the context and runs the handler before answering; the handler makes no API
 * call, so nothing leaves the machine.
 */
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import { createNodeMiddleware, Probot } from "probot";
import { WEBHOOK_PATH } from "../payload.js";
import { requireEnv, serveForParent } from "./child.js";

const secret = requireEnv("BENCH_WEBHOOK_SECRET");

// Probot will not start without an app id and a private key; neither is used offline.
const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});

const probot = new Probot({ appId: 1, privateKey, secret, logLevel: "warn" });
const middleware = await createNodeMiddleware(
  (app) => {
    app.onAny(async () => {});
  },
  { probot, webhooksPath: WEBHOOK_PATH },
);

const server = createServer((req, res) => {
  void middleware(req, res, () => {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found");
  });
});

serveForParent(server);
