/** Starter configs written by `workerd-compose init`: one proxied container behind socket activation. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

export type StarterFormat = "ts" | "json" | "yaml";

export function starterFileName(format: StarterFormat): string {
  return `workerd-compose.config.${format}`;
}

/** Path of the installed package's JSON Schema, relative to a config in the project's root. */
const schemaPath = "./node_modules/workerd-compose/schema/workerd-compose.schema.json";

/**
 * Returns the compatibility date for a new config: today (UTC), or the
 * release date of the installed workerd package when that is earlier,
 * because workerd rejects dates newer than the binary supports. The package's
 * version carries that date: 1.20261123.1 was released on 2026-11-23.
 */
export function starterDate(today: Date): string {
  const todayText = today.toISOString().slice(0, 10);
  const require = createRequire(import.meta.url);
  const { version } = JSON.parse(readFileSync(require.resolve("workerd/package.json"), "utf8")) as { version: string };
  const match = /^\d+\.(\d{4})(\d{2})(\d{2})\./.exec(version);
  const release = match ? `${match[1]}-${match[2]}-${match[3]}` : todayText;
  return release < todayText ? release : todayText;
}

/**
 * Returns the starter config in `format`, with `date` as its compatibility
 * date, pinned so that later workerd releases do not change its behaviour.
 */
export function starterConfig(format: StarterFormat, date: string): string {
  const config = {
    compatibilityDate: date,
    sockets: [{ name: "http", port: 80 }],
    networks: [{ name: "mynet", internal: true }],
    upstreams: [
      {
        name: "whoami",
        container: { image: "docker.io/traefik/whoami", name: "whoami.example.com", network: "mynet" },
      },
    ],
    routes: [{ host: "whoami.example.com", upstream: "whoami" }],
    deployment: { target: "quadlet", image: "localhost/workerd", network: "mynet" },
  };

  switch (format) {
    case "json":
      return `${JSON.stringify({ $schema: schemaPath, ...config }, null, 2)}\n`;
    case "yaml":
      return yamlStarter(config.compatibilityDate);
    case "ts":
      return tsStarter(config.compatibilityDate);
  }
}

function tsStarter(date: string): string {
  return `// workerd in a rootless Podman container, socket-activated on port 80,
// forwarding requests for whoami.example.com to the container of the same name.
// Build with \`workerd-compose build\`. To try it locally, point the upstream
// at a server you run: \`workerd-compose serve --external whoami=127.0.0.1:8080\`.
import { defineConfig } from "workerd-compose";

export default defineConfig({
  compatibilityDate: "${date}",
  sockets: [{ name: "http", port: 80 }],
  networks: [{ name: "mynet", internal: true }],
  upstreams: [
    {
      name: "whoami",
      container: {
        image: "docker.io/traefik/whoami",
        name: "whoami.example.com",
        network: "mynet",
      },
    },
  ],
  routes: [{ host: "whoami.example.com", upstream: "whoami" }],
  deployment: { target: "quadlet", image: "localhost/workerd", network: "mynet" },
});
`;
}

function yamlStarter(date: string): string {
  return `# yaml-language-server: $schema=${schemaPath}
# workerd in a rootless Podman container, socket-activated on port 80,
# forwarding requests for whoami.example.com to the container of the same name.
$schema: ${schemaPath}
compatibilityDate: "${date}"
sockets:
  - name: http
    port: 80
networks:
  - name: mynet
    internal: true
upstreams:
  - name: whoami
    container:
      image: docker.io/traefik/whoami
      name: whoami.example.com
      network: mynet
routes:
  - host: whoami.example.com
    upstream: whoami
deployment:
  target: quadlet
  image: localhost/workerd
  network: mynet
`;
}
