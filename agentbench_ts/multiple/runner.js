// The program runner inside an evaluation container: one long-lived process per evaluation, so no
// `docker exec` per program. It listens on a Unix socket (argv[2]) for JSON lines and answers each,
// in any order, with the request's id:
//   {"op": "check", "source"}              -> the warm checker's answer (ts_check.js, argv[4])
//   {"op": "run", "js", "timeout_s"}       -> node on the emitted program
//   {"op": "reference", "source", "timeout_s", "compile_timeout_s"} -> tsc --target esnext, then node
// Every program runs in its own folder under its own user id (so programs cannot touch each other's
// files), in its own process group (killed whole at the end), with its output capped.
"use strict";
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const readline = require("node:readline");
const { spawn } = require("node:child_process");

const [socketPath, toolchain, checkerScript, capArg] = process.argv.slice(2);
const CAP = Number(capArg || 1 << 20);
const WORK = "/tmp/agentbench-programs";
const TSC = path.join(toolchain, "node_modules", "typescript", "bin", "tsc");
fs.mkdirSync(WORK, { recursive: true, mode: 0o711 });
let serial = 0;

function capture(stream) {
  const kept = { head: [], tail: Buffer.alloc(0), size: 0 };
  stream.on("data", (chunk) => {
    if (kept.size < CAP / 2) kept.head.push(chunk.subarray(0, CAP / 2 - kept.size));
    else kept.tail = Buffer.concat([kept.tail, chunk]).subarray(-CAP / 2);
    kept.size += chunk.length;
  });
  return () => {
    const head = Buffer.concat(kept.head).toString("utf8");
    return kept.size > CAP ? `${head}\n[truncated]\n${kept.tail.toString("utf8")}` : head + kept.tail.toString("utf8");
  };
}

// Everything still running as the program's user: what it forked, even in new sessions.
function killUser(uid) {
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = fs.readFileSync(`/proc/${entry}/status`, "utf8");
      if (new RegExp(`^Uid:\\s+${uid}\\s`, "m").test(status)) process.kill(Number(entry), "SIGKILL");
    } catch (_) { /* gone meanwhile */ }
  }
}

function execute(argv, cwd, uid, timeoutS) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd, uid, gid: uid, detached: true, stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH, HOME: cwd },
    });
    // Under memory pressure the kernel takes a program, never the runner.
    try { fs.writeFileSync(`/proc/${child.pid}/oom_score_adj`, "1000"); } catch (_) { /* exited */ }
    const stdout = capture(child.stdout), stderr = capture(child.stderr);
    let timedOut = false;
    const killGroup = () => {
      try { process.kill(-child.pid, "SIGKILL"); } catch (_) { /* gone */ }
      killUser(uid);
    };
    const timer = setTimeout(() => { timedOut = true; killGroup(); }, timeoutS * 1000);
    child.on("error", (error) => { clearTimeout(timer); resolve({ exit_code: 127, stdout: "", stderr: String(error), timed_out: false }); });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      killGroup(); // what the program left behind goes with it
      const exit = timedOut ? null : code !== null ? code : -(os.constants.signals[signal] || 9);
      resolve({ exit_code: exit, stdout: stdout(), stderr: stderr(), timed_out: timedOut });
    });
  });
}

function folderFor(name, text) {
  serial += 1;
  const uid = 20000 + (serial % 20000);
  const folder = path.join(WORK, String(serial));
  fs.mkdirSync(folder, { mode: 0o700 });
  fs.writeFileSync(path.join(folder, name), text);
  fs.chownSync(folder, uid, uid);
  fs.chownSync(path.join(folder, name), uid, uid);
  return { folder, uid };
}

async function inFolder(name, text, work) {
  const { folder, uid } = folderFor(name, text);
  try {
    return await work(folder, uid);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

// The warm checker: one child, requests in turn; a crash answers with an error and restarts it.
let checker = null;
let checks = Promise.resolve();
function startChecker() {
  // As deep as a program's folder, so paths in tsc's messages read the same from both.
  const folder = fs.mkdtempSync(path.join(WORK, "check-"));
  fs.chownSync(folder, 19999, 19999);
  const child = spawn(process.execPath, [checkerScript, toolchain], { cwd: folder, uid: 19999, gid: 19999, stdio: ["pipe", "pipe", "ignore"] });
  const waiting = new Map();
  readline.createInterface({ input: child.stdout }).on("line", (line) => {
    const reply = JSON.parse(line);
    const done = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (done) done(reply);
  });
  child.on("close", () => {
    for (const done of waiting.values()) done({ error: "the checker died" });
    waiting.clear();
    if (checker && checker.child === child) checker = null;
  });
  return { child, waiting };
}
function check(id, source) {
  const answer = checks.then(() => new Promise((resolve) => {
    if (checker === null) checker = startChecker();
    checker.waiting.set(id, resolve);
    checker.child.stdin.write(JSON.stringify({ id, source }) + "\n");
  }));
  checks = answer.catch(() => undefined);
  return answer;
}

async function answer(request) {
  if (request.op === "check") return check(request.id, request.source);
  if (request.op === "run") {
    return inFolder("program.js", request.js, (folder, uid) => execute([process.execPath, "program.js"], folder, uid, request.timeout_s));
  }
  if (request.op === "reference") {
    return inFolder("program.ts", request.source, async (folder, uid) => {
      const compiled = await execute([process.execPath, TSC, "--target", "esnext", "program.ts"], folder, uid, request.compile_timeout_s);
      if (compiled.exit_code !== 0) return { stage: "compile", ...compiled };
      return { stage: "run", ...(await execute([process.execPath, "program.js"], folder, uid, request.timeout_s)) };
    });
  }
  return { error: `unknown op ${request.op}` };
}

const server = net.createServer((connection) => {
  readline.createInterface({ input: connection }).on("line", (line) => {
    if (!line.trim()) return;
    const request = JSON.parse(line);
    answer(request)
      .catch((error) => ({ error: String(error && error.stack) }))
      .then((reply) => connection.write(JSON.stringify({ ...reply, id: request.id }) + "\n"));
  });
});
server.listen(socketPath, () => {
  fs.chmodSync(socketPath, 0o666); // the host's user may not be root; the folder keeps programs out
  process.stdout.write("ready\n");
});
