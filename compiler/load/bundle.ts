/**
 * Bundles a user worker's entry module with esbuild into one ES module for
 * workerd. Imports of `cloudflare:` and `node:` modules stay imports, which
 * workerd resolves itself (`node:` needs the nodejs_compat flag).
 */
import path from "node:path";

/** Returns the bundled module for an entry path relative to the config's directory; throws on errors. */
export type WorkerBundler = (main: string) => string;

/** Loads esbuild and returns a bundler that resolves entries against `configDir`. */
export async function createWorkerBundler(configDir: string): Promise<WorkerBundler> {
  const esbuild = await import("esbuild");
  return (main) => {
    let result: import("esbuild").BuildResult<{ write: false }>;
    try {
      result = esbuild.buildSync({
        entryPoints: [path.resolve(configDir, main)],
        // Paths in the bundle's comments are relative to this, so the output
        // does not depend on where the project is checked out.
        absWorkingDir: configDir,
        bundle: true,
        write: false,
        format: "esm",
        platform: "neutral",
        target: "es2022",
        conditions: ["workerd", "worker", "browser"],
        mainFields: ["browser", "module", "main"],
        external: ["cloudflare:*", "node:*"],
        charset: "utf8",
        logLevel: "silent",
      });
    } catch (error) {
      throw new Error(describeBuildFailure(error, configDir));
    }
    return result.outputFiles[0]!.text;
  };
}

function describeBuildFailure(error: unknown, configDir: string): string {
  const messages = (error as { errors?: import("esbuild").Message[] }).errors;
  if (!Array.isArray(messages) || messages.length === 0) {
    return error instanceof Error ? error.message : String(error);
  }
  return messages
    .map((message) => {
      const location = message.location;
      const where = location ? `${path.relative(configDir, path.resolve(configDir, location.file))}:${location.line}:${location.column + 1}: ` : "";
      return `${where}${message.text}`;
    })
    .join("; ");
}
