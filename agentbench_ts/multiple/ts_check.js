// A long-lived TypeScript checker: what `tsc --target esnext FILE.ts` decides and emits, for many
// programs, without a cold compiler start each time. The lib .d.ts files are parsed once and reused.
//
// argv[2]: the folder holding node_modules/typescript. stdin: one JSON object per line,
// {"id": ..., "source": "..."}; stdout: one per line, {"id", "ok", "diagnostics", "js"}.
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

// tsc also checks the lib .d.ts files. What it finds there does not depend on the program (a clash
// with a program's own declarations is reported in the program too), so they are checked once.
let libraryErrors;
function libraryDiagnostics(program) {
  if (libraryErrors === undefined) {
    libraryErrors = program.getSourceFiles().filter((f) => f.fileName !== FILE).flatMap((f) => program.getSemanticDiagnostics(f));
  }
  return libraryErrors;
}

function check(source) {
  const { host, emitted } = hostFor(source);
  const program = ts.createProgram({ rootNames: [FILE], options, host, oldProgram: previous });
  previous = program;
  // The order and the short cuts of tsc's emitFilesAndReportErrors.
  const diagnostics = [...program.getSyntacticDiagnostics()];
  if (diagnostics.length === 0) {
    diagnostics.push(...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics());
    if (diagnostics.length === 0) {
      const file = program.getSourceFile(FILE);
      diagnostics.push(...libraryDiagnostics(program), ...program.getSemanticDiagnostics(file));
    }
  }
  // Only the program emits anything (lib files are declarations); naming it spares a full re-check.
  const result = program.emit(program.getSourceFile(FILE));
  diagnostics.push(...result.diagnostics);
  const messages = diagnostics.map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (!d.file || d.start === undefined) return `error TS${d.code}: ${text}`;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `program.ts(${line + 1},${character + 1}): error TS${d.code}: ${text}`;
  });
  return { ok: messages.length === 0, diagnostics: messages, js: emitted.js };
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (!line.trim()) return;
  const request = JSON.parse(line);
  let reply;
  try {
    reply = { id: request.id, ...check(request.source) };
  } catch (error) {
    reply = { id: request.id, ok: false, diagnostics: [`checker crashed: ${error && error.stack}`], js: "" };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
