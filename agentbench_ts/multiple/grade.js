// Agent-mode grading inside the sandbox, with MultiPL-E's reference semantics: the workspace's
// solution.ts followed by a newline and the problem's hidden tests, compiled by a cold
// `tsc --target esnext` in a fresh folder, then run by `node`, each under a timeout. The verdict
// follows MultiPL-E's eval_ts.py (agentbench_ts/multiple/verdict.py); it is printed as TAP. Where the
// sandbox keeps a warm compiler (AGENTBENCH_WARM_TSC), `tsc` on PATH is that one: the same compiler
// and exit status, without starting it cold (agentbench_ts/sandbox/warm_tsc).
//
// usage: node grade.js NAME TIMEOUT_S TESTS_FILE   (cwd: the repository; TypeScript in a node_modules above it)
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const [name, timeoutArg, testsFile] = process.argv.slice(2);
const timeoutMs = Number(timeoutArg || "15") * 1000;
const tsc = require.resolve("typescript/bin/tsc", { paths: [process.cwd()] });

function run(args, cwd, command = process.execPath) {
  const done = spawnSync(command, args, { cwd, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 1 << 30 });
  const timedOut = done.error !== undefined && done.error.code === "ETIMEDOUT";
  return { code: timedOut ? -1 : done.status === null ? -1 : done.status, timedOut, stdout: String(done.stdout || ""), stderr: String(done.stderr || "") };
}

function verdict() {
  const solution = fs.readFileSync("solution.ts", "utf8");
  const tests = fs.readFileSync(testsFile, "utf8");
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "multipl-e-"));
  try {
    fs.writeFileSync(path.join(folder, "program.ts"), solution + "\n" + tests);
    const compiled = process.env.AGENTBENCH_WARM_TSC
      ? run(["--target", "esnext", "program.ts"], folder, "tsc")
      : run([tsc, "--target", "esnext", "program.ts"], folder);
    if (compiled.code !== 0) return { status: "SyntaxError", detail: compiled.stdout + compiled.stderr };
    const ran = run(["program.js"], folder);
    let status;
    if (ran.timedOut) status = "Timeout";
    else if (ran.code === 0) status = "OK";
    else if (ran.stderr.includes("ERR_ASSERTION")) status = "AssertionError";
    else if (ran.stderr.includes("SyntaxError")) status = "SyntaxError";
    else if (ran.stderr.includes("ReferenceError")) status = "ReferenceError";
    else status = "Exception";
    return { status, detail: ran.stderr };
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

const { status, detail } = verdict();
console.log("TAP version 13");
console.log("1..1");
console.log(`${status === "OK" ? "ok" : "not ok"} 1 - ${name}`);
console.log(`# status: ${status}`);
for (const line of detail.split("\n").filter((l) => l.trim()).slice(0, 12)) console.log(`# ${line}`);
