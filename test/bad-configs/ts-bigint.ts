// expect: error [unsupported-value] sockets[0].port: A config holds data only; found the bigint 80n.
import { defineConfig } from "workerd-compose";

export default defineConfig({
  "compatibilityDate": "2024-12-01",
  "sockets": [
    {
      "name": "http",
      "port": 80n as unknown as number
    }
  ],
  "networks": [
    {
      "name": "mynet",
      "subnet": "10.89.0.0/24"
    }
  ],
  "upstreams": [
    {
      "name": "whoami",
      "container": {
        "image": "docker.io/traefik/whoami",
        "network": "mynet"
      }
    }
  ],
  "routes": [
    {
      "host": "whoami.example.com",
      "upstream": "whoami"
    }
  ],
  "deployment": {
    "target": "quadlet",
    "image": "localhost/workerd",
    "network": "mynet"
  }
});
