// expect: error [unsupported-value] compatibilityDate: A config holds data only; found an instance of Date.
import { defineConfig } from "workerd-compose";

export default defineConfig({
  "compatibilityDate": new Date("2024-12-01") as unknown as string,
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
