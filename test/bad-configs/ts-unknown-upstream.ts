// expect: error [unknown-upstream] routes[0].upstream: There is no upstream named "whoamy".
// expect:   hint: Did you mean "whoami"?
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
    {
      "host": "whoami.example.com",
      "upstream": "whoamy"
    }
  ],
  "deployment": {
    "target": "quadlet",
    "image": "localhost/workerd",
    "network": "mynet"
  }
});
