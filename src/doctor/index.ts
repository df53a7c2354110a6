// `docker-cri doctor`: checks a host for docker-cri and says in plain words what is wrong.
export { runDoctor } from "./run-doctor.js";
export type { CheckResult, CheckStatus } from "./doctor-check.js";
export { formatReport } from "./format-report.js";
