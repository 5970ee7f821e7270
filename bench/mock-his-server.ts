/**
 * Runs the project's mock HIS (src/tools/mock-his.ts) in a process of its
 * own for `npm run bench`, so the HIS does not share an event loop with the
 * load generator. Usage: `node --import tsx bench/mock-his-server.ts PORT`.
 * It prints one line, `ready <origin>`, once it listens on 127.0.0.1, and
 * runs until it receives SIGTERM or SIGINT.
 */
import { startMockHis } from "../src/tools/mock-his.ts";

const port = Number(process.argv[2] ?? "0");
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid port "${process.argv[2]}": pass an integer from 0 to 65535 (0 picks a free port).`);
  process.exit(1);
}

const his = await startMockHis(port);
console.log(`ready ${his.origin}`);
// Exiting closes the gateway's keep-alive connections too, which his.close() would wait for.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => process.exit(0));
}
