// Compiles the TypeScript sources into dist/ with tsc. Run by `npm run build`
// and by npm's prepare step, so that `npm ci` leaves the command ready to run.
import { execFileSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

rmSync(`${root}dist`, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [tsc, "-p", `${root}tsconfig.json`], { stdio: "inherit", cwd: root });
} catch {
  // tsc has printed its errors; a stack trace of this script would only hide them.
  process.exit(1);
}
// The precompiled schema validator is plain JavaScript; tsc copies no .js files.
cpSync(`${root}compiler/validate/schema-validator.js`, `${root}dist/compiler/validate/schema-validator.js`);
