// expect: error [port-conflict] sockets[1].port: Port 80 on every address is already taken by sockets[0] on "127.0.0.1".
import { defineConfig } from "workerd-compose";

export default defineConfig({
  "compatibilityDate": "2024-12-01",
  "sockets": [
    { "name": "local", "port": 80, "address": "127.0.0.1" },
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
