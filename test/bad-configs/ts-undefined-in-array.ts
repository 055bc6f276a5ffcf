// expect: error [unsupported-value] routes[0]: A config holds data only; found undefined.
import { defineConfig } from "workerd-compose";

export default defineConfig({
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
    undefined as never,
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
