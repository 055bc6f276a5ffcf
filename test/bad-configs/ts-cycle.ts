// expect: error [circular-reference] deployment.self: This value contains itself, so it has no JSON form.
const config: Record<string, unknown> = {
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
};
(config.deployment as Record<string, unknown>).self = config;

export default config;
