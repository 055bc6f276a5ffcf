// expect: 2:23: error [config-syntax] Could not resolve "./hosts-that-do-not-exist.js"
import { hosts } from "./hosts-that-do-not-exist.js";

export default { hosts };
