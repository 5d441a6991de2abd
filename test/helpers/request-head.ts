import { connect } from "node:net";

/**
 * Sends a request head announcing a body and no body at all, and resolves with what the server
 * answers: only an answer given before reading the body can arrive.
 */
export function headOnly(url: string, head: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
      if (answer.includes("\r\n\r\n")) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(answer));
    socket.write(head);
  });
}

/** The head of a JSON `POST` to `path` announcing `length` bytes, with extra header lines. */
export const head = (path: string, headers: string[], length = 1000) =>
  [
    `POST ${path} HTTP/1.1`,
    "host: shipcast.test",
    "content-type: application/json",
    `content-length: ${length}`,
    ...headers,
    "",
    "",
  ].join("\r\n");
