// A long-lived TypeScript checker: what `tsc --target esnext FILE.ts` decides and emits, for many
// programs, without a cold compiler start each time. The lib .d.ts files are parsed once and reused.
//
// argv[2]: the folder holding node_modules/typescript. stdin: one JSON object per line,
// {"id": ..., "source": "..."}; stdout: one per line, {"id", "ok", "diagnostics", "js", "exit_code"}.
// `ok` is tsc's exit status being 0: no diagnostic of any category, gathered the way tsc does.
"use strict";
const path = require("node:path");
const readline = require("node:readline");
const ts = require(path.join(process.argv[2], "node_modules", "typescript"));

const FILE = path.join(process.cwd(), "program.ts");
const parsed = ts.parseCommandLine(["--target", "esnext", FILE]);
const options = parsed.options;
const libraries = new Map();
let previous;

function hostFor(source) {
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  const emitted = { js: "" };
  host.fileExists = (name) => name === FILE || ts.sys.fileExists(name);
  host.readFile = (name) => (name === FILE ? source : readFile(name));
  host.getSourceFile = (name, languageVersion, onError) => {
    if (name === FILE) return ts.createSourceFile(name, source, languageVersion);
    const key = name + "\0" + JSON.stringify(languageVersion);
    if (!libraries.has(key)) libraries.set(key, getSourceFile(name, languageVersion, onError));
    return libraries.get(key);
  };
  host.writeFile = (name, text) => {
    if (name.endsWith(".js")) emitted.js = text;
  };
  return { host, emitted };
}

// tsc also checks the lib .d.ts files. What it finds there is the same for every program, except
// where a program clashes with a lib declaration (a redeclared global): then tsc reports the clash in
// the lib file too. So the lib files are checked once, and again only for a program with a clash.
const CLASH_CODES = new Set([2300, 2403, 2451, 2687, 6200]);
let libraryErrors;
function libraryDiagnostics(program, clashes) {
  const check = () => program.getSourceFiles().filter((f) => f.fileName !== FILE).flatMap((f) => program.getSemanticDiagnostics(f));
  if (clashes) return check();
  if (libraryErrors === undefined) libraryErrors = check();
  return libraryErrors;
}

const formatHost = {
  getCanonicalFileName: (name) => name,
  getCurrentDirectory: () => process.cwd(),
  getNewLine: () => "\n",
};

function check(source) {
  const { host, emitted } = hostFor(source);
  const program = ts.createProgram({ rootNames: [FILE], options, host, oldProgram: previous });
  previous = program;
  // The order and the short cuts of tsc's emitFilesAndReportErrors.
  let diagnostics = [...program.getSyntacticDiagnostics()];
  if (diagnostics.length === 0) {
    diagnostics.push(...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics());
    if (diagnostics.length === 0) {
      const own = program.getSemanticDiagnostics(program.getSourceFile(FILE));
      diagnostics.push(...libraryDiagnostics(program, own.some((d) => CLASH_CODES.has(d.code))), ...own);
    }
  }
  // Only the program emits anything (lib files are declarations); naming it spares a full re-check.
  const result = program.emit(program.getSourceFile(FILE));
  diagnostics.push(...result.diagnostics);
  // As tsc prints them (piped, so not --pretty): sorted, deduplicated, paths relative to the folder.
  diagnostics = ts.sortAndDeduplicateDiagnostics(diagnostics);
  const messages = diagnostics.map((d) => ts.formatDiagnostic(d, formatHost).replace(/\n$/, ""));
  // tsc's exit status: 0, or 2 with diagnostics where it still emitted (1 where it did not).
  const exitCode = messages.length === 0 ? 0 : result.emitSkipped ? 1 : 2;
  return { ok: messages.length === 0, diagnostics: messages, js: emitted.js, exit_code: exitCode };
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (!line.trim()) return;
  const request = JSON.parse(line);
  let reply;
  try {
    reply = { id: request.id, ...check(request.source) };
  } catch (error) {
    reply = { id: request.id, ok: false, diagnostics: [`checker crashed: ${error && error.stack}`], js: "", exit_code: 1 };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
