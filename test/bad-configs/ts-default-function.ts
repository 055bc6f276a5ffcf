// expect: error [unsupported-value] A config holds data only; found a function.
export default function config() {
  return {};
}
