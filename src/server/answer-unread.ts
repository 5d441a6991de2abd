import type { IncomingMessage, ServerResponse } from "node:http";
import { sendError } from "./respond.js";

/**
 * How long a client answered before its body was read may go on sending. Its bytes are
 * discarded meanwhile; closing at once would reset a client still sending, and the reset can
 * destroy the answer before the client reads it.
 */
export const LINGER_MS = 1000;

/**
 * Answers a request without reading (the rest of) its body, which is never buffered: the client
 * gets the answer, and what it still sends is discarded as it arrives. A client that has not
 * finished sending after `LINGER_MS` has its connection closed, so a refused sender can neither
 * hold memory nor hold the connection.
 */
export function answerUnread(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendError(res, status, message, headers);
  if (req.complete || req.destroyed) return;
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  const done = () => clearTimeout(timer);
  req.once("end", done);
  req.once("close", done);
  req.resume();
}
