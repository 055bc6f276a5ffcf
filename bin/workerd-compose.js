#!/usr/bin/env node
// Entry point of the installed command. It runs the compiled JavaScript in
// dist/, built by `npm run build` (npm ci and npm install run it through the
// prepare script).
import { main } from "../dist/compiler/cli/main.js";

// A reader that stops early (`workerd-compose schema | head`) closes the
// pipe; like other command-line tools, stop quietly instead of printing a
// stack trace.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") {
    process.exit(0);
  }
  throw error;
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(
    "workerd-compose: internal error. This is a bug in workerd-compose; please report it with the output below.\n",
  );
  process.stderr.write(`${error instanceof Error && error.stack ? error.stack : String(error)}\n`);
  process.exitCode = 2;
}
