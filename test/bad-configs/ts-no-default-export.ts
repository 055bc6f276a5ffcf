// expect: error [config-no-default-export] The config module has no default export.
import { defineConfig } from "workerd-compose";

export const config = defineConfig({
  "compatibilityDate": "2024-12-01",
  "sockets": [
    {
      "name": "http",
      "port": 80
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
