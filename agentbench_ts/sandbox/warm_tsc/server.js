// A warm compiler: `tsc [-p DIR]` as TypeScript's own command line does it (the same config lookup,
// program, diagnostics, emit and exit status, through the compiler's own functions), with the files
// parsed by earlier builds kept while their text is unchanged: what costs a cold `tsc` most (starting
// Node, loading the compiler, parsing the lib and @types declarations) is paid once. A container's
// sandbox has one of its own; local sandboxes of one toolchain share one, each holding a lease in
// FOLDER/leases (a file naming the process that holds it) while it is open.
//
// Two things differ from a cold `tsc` in a used tree, both on purpose: outputs this server wrote for
// sources that are gone (deleted, renamed, or a build that emitted nothing) are removed, so a test
// cannot pass on stale JavaScript (a cold compile of a fresh checkout has none); and a build it does
// not do the same way (watch, build mode, incremental, pretty or listing output, files on the command
// line, an unreadable config) is answered `fallback`, and the caller runs the real `tsc`.
//
//   node server.js FOLDER TYPESCRIPT_DIR     (started by bin/tsc; listens on FOLDER/server.sock)
"use strict";
const fs = require("fs");
const net = require("net");
const path = require("path");

const [folder, typescriptDir] = process.argv.slice(2);
const ts = require(typescriptDir);
const IDLE_MS = Number(process.env.AGENTBENCH_WARM_TSC_IDLE_S || 600) * 1000;
const GRACE_MS = 5000; // kept this long after the last lease, for the next sandbox of a run
const socketPath = path.join(folder, "server.sock");
const emittedPath = path.join(folder, "emitted.json");
const leasesPath = path.join(folder, "leases");
const lastBuildPath = path.join(folder, "last-build.json"); // what the last build parsed and reused
const COLD_ONLY = [
  "build", "watch", "incremental", "composite", "pretty", "diagnostics", "extendedDiagnostics",
  "listFiles", "listEmittedFiles", "listFilesOnly", "explainFiles", "traceResolution", "showConfig",
  "generateCpuProfile", "generateTrace", "help", "all", "version", "init",
];

const parsed = new Map(); // text of a source file and its SourceFile, by file name and parse settings
let emitted = readEmitted(); // config file -> outputs this server wrote in its last build of it
let lastUsed = Date.now();
let unleasedSince = null;

function readEmitted() {
  try {
    return JSON.parse(fs.readFileSync(emittedPath, "utf8"));
  } catch {
    return {};
  }
}

function fallback(reason) {
  return { fallback: reason };
}

function parseSettingsKey(options) {
  // The options a parse depends on (the compiler's own list, where this TypeScript exports it; else all
  // of them): a project in another folder differs in its paths, and still reuses the lib and @types files.
  const affecting = ts.sourceFileAffectingCompilerOptions;
  if (!Array.isArray(affecting)) {
    return JSON.stringify(options, (key, value) => (key === "configFile" ? undefined : value));
  }
  return JSON.stringify(affecting.map((option) => [option.name, options[option.name]]));
}

function cachingHost(options, used, system, counts) {
  const host = ts.createCompilerHostWorker(options, undefined, system); // as tsc makes its host
  const getSourceFile = host.getSourceFile;
  const settings = parseSettingsKey(options);
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile) => {
    const text = host.readFile(fileName);
    const form = typeof languageVersionOrOptions === "object" ? languageVersionOrOptions : { languageVersion: languageVersionOrOptions };
    const key = [fileName, form.languageVersion, form.impliedNodeFormat, form.jsDocParsingMode, settings].join("\0");
    used.add(key);
    const known = parsed.get(key);
    if (text !== undefined && known && known.text === text && !shouldCreateNewSourceFile) {
      counts.reused += 1;
      return known.file;
    }
    counts.parsed += 1;
    const file = getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile);
    if (file && text !== undefined) parsed.set(key, { text, file });
    else parsed.delete(key);
    return file;
  };
  return host;
}

function configFileOf(options, system) {
  // as executeCommandLine finds it
  if (options.project) {
    const fileOrDirectory = ts.normalizePath(options.project);
    const configFile =
      !fileOrDirectory || system.directoryExists(fileOrDirectory)
        ? ts.combinePaths(fileOrDirectory, "tsconfig.json")
        : fileOrDirectory;
    return system.fileExists(configFile) ? configFile : undefined;
  }
  return ts.findConfigFile(ts.normalizePath(system.getCurrentDirectory()), (name) => system.fileExists(name));
}

function removeStale(configKey, written) {
  // outputs of an earlier build that this one did not write, and the folders they leave empty (a
  // fresh checkout compiled cold has neither), up to the project's folder
  const top = path.dirname(configKey);
  for (const file of emitted[configKey] || []) {
    if (written.has(file)) continue;
    fs.rmSync(file, { force: true });
    for (let folder = path.dirname(file); folder.startsWith(top + path.sep); folder = path.dirname(folder)) {
      try {
        fs.rmdirSync(folder);
      } catch {
        break; // not empty, or gone
      }
    }
  }
  emitted[configKey] = [...written];
  for (const known of Object.keys(emitted)) if (!fs.existsSync(known)) delete emitted[known]; // closed
  fs.writeFileSync(emittedPath, JSON.stringify(emitted));
}

function configOf(commandLine, system) {
  // what executeCommandLine compiles: files named on the command line with its options, or a project
  if (commandLine.fileNames.length) {
    if (commandLine.options.project) return fallback("files and a project");
    return { key: null, config: { options: commandLine.options, fileNames: commandLine.fileNames, errors: [] } };
  }
  const configFile = configFileOf(commandLine.options, system);
  if (!configFile) return fallback("no tsconfig.json");
  let unrecoverable = false;
  const configHost = { ...system, onUnRecoverableConfigFileDiagnostic: () => (unrecoverable = true) };
  const config = ts.getParsedCommandLineOfConfigFile(configFile, commandLine.options, configHost);
  if (unrecoverable || !config) return fallback("an unreadable config");
  return { key: path.resolve(configFile), config };
}

function build(request) {
  if (path.resolve(request.typescript) !== path.resolve(typescriptDir)) return fallback("another TypeScript");
  const commandLine = ts.parseCommandLine(request.args);
  if (commandLine.errors.length) return fallback("errors on the command line");
  process.chdir(request.cwd);
  let stdout = "";
  // ts.sys keeps the directory it first saw: each request's is its own
  const system = { ...ts.sys, write: (text) => (stdout += text), getCurrentDirectory: () => request.cwd };
  const found = configOf(commandLine, system);
  if (found.fallback) return found;
  const { key, config } = found;
  if (COLD_ONLY.some((name) => config.options[name])) return fallback("options built cold only");
  const used = new Set();
  const counts = { parsed: 0, reused: 0 };
  const host = cachingHost(config.options, used, system, counts);
  const written = new Set();
  const writeFile = host.writeFile;
  host.writeFile = (fileName, ...rest) => {
    written.add(path.resolve(fileName));
    return writeFile(fileName, ...rest);
  };
  const program = ts.createProgram({
    rootNames: config.fileNames,
    options: config.options,
    projectReferences: config.projectReferences,
    host,
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(config),
  });
  const report = ts.createDiagnosticReporter(system, false);
  const exitCode = ts.emitFilesAndReportErrorsAndGetExitStatus(program, report, (text) => system.write(text + system.newLine));
  for (const parsedKey of parsed.keys()) if (!used.has(parsedKey)) parsed.delete(parsedKey);
  if (key) removeStale(key, written); // a one-off compile of named files has no earlier outputs to retire
  fs.writeFileSync(lastBuildPath, JSON.stringify({ config: key, ...counts }));
  return { exitCode, stdout };
}

function answer(connection, line) {
  let reply;
  try {
    reply = build(JSON.parse(line));
  } catch (error) {
    reply = fallback(`the warm compiler failed: ${error && error.stack ? error.stack : error}`);
  }
  lastUsed = Date.now();
  connection.end(JSON.stringify(reply));
}

function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {}
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

function leased() {
  if (!fs.existsSync(leasesPath)) return true; // a container's own: it goes with the container
  for (const name of fs.readdirSync(leasesPath)) {
    const lease = path.join(leasesPath, name);
    try {
      if (alive(Number(fs.readFileSync(lease, "utf8")))) return true;
      fs.rmSync(lease, { force: true }); // its process ended without closing the sandbox
    } catch {}
  }
  return false;
}

function stop() {
  if (fs.existsSync(folder)) {
    fs.rmSync(socketPath, { force: true });
    fs.rmSync(path.join(folder, "server.pid"), { force: true });
  }
  process.exit(0);
}

const server = net.createServer((connection) => {
  let request = "";
  connection.setEncoding("utf8");
  connection.on("data", (chunk) => {
    const complete = request.includes("\n");
    request += chunk;
    const end = request.indexOf("\n");
    if (!complete && end >= 0) answer(connection, request.slice(0, end));
  });
  connection.on("error", () => {});
});
fs.rmSync(socketPath, { force: true });
server.listen(socketPath);
// Its folder gone, no sandbox holding a lease for a while, or nothing asked for long: nothing to keep warm.
setInterval(() => {
  if (!fs.existsSync(folder) || Date.now() - lastUsed > IDLE_MS) stop();
  if (leased()) unleasedSince = null;
  else if (unleasedSince === null) unleasedSince = Date.now();
  else if (Date.now() - unleasedSince > GRACE_MS) stop();
}, 1000).unref();
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
