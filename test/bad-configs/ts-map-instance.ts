// expect: error [unsupported-value] A config holds data only; found an instance of Map.
const config = new Map([["compatibilityDate", "2024-12-01"]]);

export default config;
