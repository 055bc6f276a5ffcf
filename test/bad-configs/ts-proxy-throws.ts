// expect: error [config-evaluation] Reading the config threw an error: no keys for you
export default new Proxy({}, {
  ownKeys() {
    throw new Error("no keys for you");
  },
});
