// expect: error [config-evaluation] Evaluating the config failed: the config refuses to load
throw new Error("the config refuses to load");
export default {};
