// `tsc`, first on a sandbox's PATH (a launcher named tsc runs this with Node and names itself in
// AGENTBENCH_WARM_TSC_LAUNCHER). Where the sandbox asks for warm builds (AGENTBENCH_WARM_TSC names a
// folder of its own), `tsc` is compiled by a warm compiler server that keeps the files parsed by
// earlier builds (server.js beside this file, started here on first use, running the TypeScript of
// the next `tsc` on PATH). The server answers with what that `tsc` would print and its exit status,
// or says the build is not one it does the same way; then, and on any trouble with the server, the
// next `tsc` runs itself: the same compiler, cold. A server that died is started again next call.
"use strict";
const fs = require("fs");
const net = require("net");
const path = require("path");
const { spawn, spawnSync } = require("child_process");

const args = process.argv.slice(2);
const folder = process.env.AGENTBENCH_WARM_TSC;
const START_TIMEOUT_MS = 60000;

function nextTsc() {
  const launcher = process.env.AGENTBENCH_WARM_TSC_LAUNCHER;
  const self = launcher ? fs.realpathSync(launcher) : null;
  for (const entry of (process.env.PATH || "").split(path.delimiter)) {
    if (!entry) continue;
    const candidate = path.join(entry, "tsc");
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.realpathSync(candidate) !== self) return candidate;
    } catch {}
  }
  return null;
}

function cold(tsc) {
  if (!tsc) {
    process.stderr.write("tsc: no TypeScript compiler on PATH after the warm one\n");
    process.exit(127);
  }
  const done = spawnSync(tsc, args, { stdio: "inherit" });
  if (done.error) {
    process.stderr.write(`tsc: ${done.error.message}\n`);
    process.exit(127);
  }
  process.exit(done.status === null ? 1 : done.status);
}

function ask(socket, request) {
  return new Promise((resolve, reject) => {
    const connection = net.createConnection(socket);
    let reply = "";
    connection.setEncoding("utf8");
    connection.on("connect", () => connection.end(JSON.stringify(request) + "\n"));
    connection.on("data", (chunk) => (reply += chunk));
    connection.on("error", reject);
    connection.on("close", (hadError) => {
      if (hadError) return;
      try {
        resolve(JSON.parse(reply));
      } catch {
        reject(new Error("the warm compiler closed without an answer"));
      }
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X"; // a killed server nobody reaped yet has ended
  } catch {}
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

function serverPid(pidFile) {
  try {
    return Number(fs.readFileSync(pidFile, "utf8")) || null;
  } catch {
    return null;
  }
}

// server.pid is taken with O_EXCL by the one call that starts a server and names it while it lives.
function startServer(typescript) {
  const pidFile = path.join(folder, "server.pid");
  fs.mkdirSync(folder, { recursive: true });
  let fd;
  try {
    fd = fs.openSync(pidFile, "wx");
  } catch {
    const pid = serverPid(pidFile);
    if (pid ? alive(pid) : Date.now() - fs.statSync(pidFile).mtimeMs < 5000) return;
    fs.rmSync(pidFile, { force: true });
    try {
      fd = fs.openSync(pidFile, "wx");
    } catch {
      return;
    }
  }
  fs.rmSync(path.join(folder, "server.sock"), { force: true });
  const log = fs.openSync(path.join(folder, "server.log"), "a");
  const server = path.join(__dirname, "server.js");
  const child = spawn(process.execPath, [server, folder, typescript], { detached: true, stdio: ["ignore", log, log] });
  fs.writeSync(fd, String(child.pid));
  fs.closeSync(fd);
  fs.closeSync(log);
  child.unref();
}

async function askStarting(socket, request) {
  startServer(request.typescript);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      return await ask(socket, request);
    } catch (error) {
      if (error.code !== "ENOENT" && error.code !== "ECONNREFUSED") throw error;
    }
    const pid = serverPid(path.join(folder, "server.pid"));
    if (pid && !alive(pid)) throw new Error("the warm compiler died while starting");
    await sleep(20);
  }
  throw new Error("the warm compiler did not start in time");
}

async function main() {
  const tsc = nextTsc();
  if (!folder || !tsc) return cold(tsc);
  const typescript = path.resolve(path.dirname(fs.realpathSync(tsc)), "..");
  const request = { cwd: process.cwd(), args, typescript };
  const socket = path.join(folder, "server.sock");
  let reply;
  try {
    try {
      reply = await ask(socket, request);
    } catch (error) {
      if (error.code !== "ENOENT" && error.code !== "ECONNREFUSED") throw error;
      reply = await askStarting(socket, request);
    }
  } catch {
    return cold(tsc);
  }
  if (!reply || reply.fallback) return cold(tsc);
  process.stdout.write(reply.stdout, () => process.exit(reply.exitCode));
}

main();
