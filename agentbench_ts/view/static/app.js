// The agentbench trace viewer. Every value from a trace is untrusted: it reaches the page only as text
// (textContent, text nodes, dataset), never as markup, and links are built from numbers we wrote.
"use strict";

const PAGE_SIZE = 100;
const pending = new Map();

window.agentbenchView = Object.freeze({
  receive(key, value) {
    const waiter = pending.get(key);
    if (waiter) {
      pending.delete(key);
      waiter.resolve(value);
    }
  },
});

function load(key, src) {
  return new Promise((resolve, reject) => {
    pending.set(key, { resolve });
    const script = document.createElement("script");
    script.src = src;
    script.onerror = () => {
      pending.delete(key);
      reject(new Error("cannot load " + src));
    };
    script.onload = () => script.remove();
    document.head.appendChild(script);
  });
}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (name === "className") node.className = value;
    else if (name === "href") node.setAttribute("href", value);
    else if (name === "title") node.title = String(value);
    else if (name === "data") Object.assign(node.dataset, value);
    else if (name === "onclick" || name === "oninput" || name === "onchange") node[name] = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const main = () => document.getElementById("main");
const pct = (x) => (100 * x).toFixed(1) + "%";
const num = (x) => (x === null || x === undefined ? "–" : Number(x).toLocaleString("en"));
const secs = (x) => (x === null || x === undefined ? "–" : Number(x).toFixed(2) + " s");

function show(...nodes) {
  main().replaceChildren(...nodes.flat().filter((node) => node));
}

function crumbs(...parts) {
  document.getElementById("crumbs").replaceChildren(...parts.map((p) => el("span", {}, " / ", p)));
}

function hashParts() {
  return decodeURIComponent(location.hash.slice(1)).split("/");
}

function runKey(value) {
  return /^r[0-9]+$/.test(value) ? value : "r0";
}

function definitionList(pairs) {
  return el("dl", { className: "facts" }, pairs.map(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
}

function countsTable(title, counts) {
  const entries = Object.entries(counts || {});
  return el(
    "section",
    { className: "counts" },
    el("h3", {}, title),
    entries.length
      ? el("table", {}, el("tbody", {}, entries.map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", { className: "num" }, num(v))))))
      : el("p", { className: "muted" }, "none")
  );
}

// ---- index --------------------------------------------------------------------------------------
async function indexPage() {
  const site = await load("site", "data/site.js");
  if (site.runs.length === 1) {
    location.replace("run.html#r0");
    return;
  }
  show(
    el("h1", {}, site.runs.length + " runs"),
    el("p", {}, el("a", { href: "compare.html", id: "compare-link" }, "Compare the runs")),
    el(
      "table",
      { className: "grid" },
      el("thead", {}, el("tr", {}, ["run", "model", "episodes", "resolved"].map((h) => el("th", {}, h)))),
      el(
        "tbody",
        {},
        site.runs.map((run) =>
          el("tr", {}, el("td", {}, el("a", { href: "run.html#" + runKey(run.key) }, run.label)), el("td", {}, run.model), el("td", { className: "num" }, num(run.episodes)), el("td", { className: "num" }, num(run.resolved)))
        )
      )
    )
  );
}

// ---- run ----------------------------------------------------------------------------------------
async function runPage() {
  const key = runKey(hashParts()[0]);
  const summary = await load(key + "/run", "data/" + key + "/run.js");
  crumbs(el("a", { href: "run.html#" + key }, summary.label));
  const table = new EpisodeTable(key, summary);
  show(runSummary(summary), table.node);
  await table.loadAll();
}

function runSummary(s) {
  const ci = "95% CI " + pct(s.ci95[0]) + "–" + pct(s.ci95[1]);
  return el(
    "section",
    { id: "summary" },
    el("h1", {}, s.label),
    definitionList([
      ["model", s.model + (s.adapter ? " + " + s.adapter : "")],
      ["sampling", JSON.stringify(s.sampling)],
      ["sandbox", s.sandbox],
      ["tasks", s.suite + " × " + s.samples + " sample(s)"],
      ["episodes", num(s.episodes) + " (" + num(s.attempts) + " attempts)"],
      ["resolved", num(s.resolved) + " / " + num(s.graded) + " graded = " + pct(s.resolved_rate) + " (" + ci + ")"],
      ["harness errors", num(s.harness_errors) + " (outside the rate)"],
      ["valid actions", pct(s.valid_action_rate) + " of " + num(s.steps) + " steps"],
      ["tokens", num(s.prompt_tokens) + " prompt + " + num(s.completion_tokens) + " completion"],
      ["wall time", secs(s.wall_s) + " over all episodes"],
      ["run id", s.run_id + " · " + s.created_at + " · harness " + s.harness_version],
    ]),
    el("div", { className: "breakdowns" }, countsTable("outcomes", s.outcomes), countsTable("stop reasons", s.stop_reasons), countsTable("parse-error kinds", s.parse_error_kinds))
  );
}

const COLUMNS = [
  ["task", "task"],
  ["sample", "sample"],
  ["outcome", "outcome"],
  ["stop", "stop reason"],
  ["steps", "steps"],
  ["parse_errors", "parse errors"],
  ["tokens", "tokens"],
  ["wall_s", "wall"],
];

class EpisodeTable {
  constructor(key, summary) {
    this.key = key;
    this.rows = [];
    this.total = summary.episodes;
    this.page = 0;
    this.sort = { column: "n", descending: false };
    this.search = el("input", { id: "search", type: "search", placeholder: "search task, outcome, stop reason, parse-error kind", oninput: () => this.refresh(true) });
    this.outcome = this.select("outcome-filter", "any outcome", Object.keys(summary.outcomes || {}));
    this.stop = this.select("stop-filter", "any stop reason", Object.keys(summary.stop_reasons || {}));
    this.parseErrors = this.select("parse-error-filter", "with or without parse errors", ["with parse errors", "without"]);
    this.minSteps = el("input", { id: "min-steps", type: "number", min: "0", placeholder: "min steps", oninput: () => this.refresh(true) });
    this.maxSteps = el("input", { id: "max-steps", type: "number", min: "0", placeholder: "max steps", oninput: () => this.refresh(true) });
    this.count = el("span", { id: "row-count" });
    this.loaded = el("span", { id: "loaded", className: "muted" });
    this.body = el("tbody", {});
    this.pager = el("div", { className: "pager" });
    const head = el("tr", {}, COLUMNS.map(([column, title]) => el("th", { data: { column }, onclick: () => this.sortBy(column) }, title)));
    this.node = el(
      "section",
      { id: "episodes-section" },
      el("h2", {}, "Episodes"),
      el("div", { className: "filters" }, this.search, this.outcome, this.stop, this.parseErrors, this.minSteps, this.maxSteps),
      el("p", {}, this.count, " ", this.loaded),
      el("table", { id: "episodes", className: "grid" }, el("thead", {}, head), this.body),
      this.pager
    );
  }

  select(id, label, values) {
    return el("select", { id, onchange: () => this.refresh(true) }, el("option", { value: "" }, label), values.map((v) => el("option", { value: v }, v)));
  }

  async loadAll() {
    const first = await load(this.key + "/rows-0", "data/" + this.key + "/rows-0000.js");
    this.add(first);
    performance.mark("agentbench:first-rows"); // for benchmarks/view_scale.py
    const rest = [];
    for (let chunk = 1; chunk < first.chunks; chunk++) {
      const name = String(chunk).padStart(4, "0");
      rest.push(load(this.key + "/rows-" + chunk, "data/" + this.key + "/rows-" + name + ".js"));
    }
    for (const part of await Promise.all(rest)) this.rows.push(...part.rows);
    this.refresh(false);
    performance.mark("agentbench:all-rows");
  }

  add(part) {
    this.rows.push(...part.rows);
    this.total = part.total;
    this.refresh(false);
  }

  sortBy(column) {
    this.sort = { column, descending: this.sort.column === column ? !this.sort.descending : false };
    this.refresh(true);
  }

  matching() {
    const words = this.search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const outcome = this.outcome.value, stop = this.stop.value, errors = this.parseErrors.value;
    const low = this.minSteps.value === "" ? -Infinity : Number(this.minSteps.value);
    const high = this.maxSteps.value === "" ? Infinity : Number(this.maxSteps.value);
    return this.rows.filter((r) => {
      if (outcome && r.outcome !== outcome) return false;
      if (stop && r.stop !== stop) return false;
      if (errors === "with parse errors" && !r.parse_errors) return false;
      if (errors === "without" && r.parse_errors) return false;
      if (r.steps < low || r.steps > high) return false;
      const text = (r.task + " " + r.outcome + " " + r.stop + " " + r.kinds.join(" ")).toLowerCase();
      return words.every((w) => text.includes(w));
    });
  }

  refresh(toFirstPage) {
    if (toFirstPage) this.page = 0;
    const { column, descending } = this.sort;
    const rows = this.matching().sort((a, b) => {
      const order = a[column] < b[column] ? -1 : a[column] > b[column] ? 1 : a.n - b.n;
      return descending ? -order : order;
    });
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    this.page = Math.min(this.page, pages - 1);
    const shown = rows.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE);
    this.body.replaceChildren(...shown.map((r) => this.row(r)));
    this.count.textContent = rows.length + " episodes match";
    this.loaded.textContent = this.rows.length < this.total ? "(loaded " + this.rows.length + " of " + this.total + ")" : "";
    this.pager.replaceChildren(
      el("button", { id: "previous-page", onclick: () => this.turn(-1), disabled: this.page === 0 ? "" : null }, "‹ previous"),
      el("span", {}, " page " + (this.page + 1) + " of " + pages + " "),
      el("button", { id: "next-page", onclick: () => this.turn(1), disabled: this.page >= pages - 1 ? "" : null }, "next ›")
    );
  }

  turn(by) {
    this.page += by;
    this.refresh(false);
  }

  row(r) {
    const link = el("a", { href: "episode.html#" + this.key + "/" + Number(r.n) }, r.task);
    return el(
      "tr",
      { className: "episode-row outcome-" + safeClass(r.outcome) },
      el("td", {}, link),
      el("td", { className: "num" }, r.sample),
      el("td", {}, r.outcome),
      el("td", {}, r.stop),
      el("td", { className: "num" }, r.steps),
      el("td", { className: "num", title: r.kinds.join(", ") }, r.parse_errors),
      el("td", { className: "num" }, num(r.tokens)),
      el("td", { className: "num" }, secs(r.wall_s))
    );
  }
}

function safeClass(value) {
  return String(value).replace(/[^a-z_]/g, "");
}

// ---- episode ------------------------------------------------------------------------------------
async function episodePage() {
  const [rawKey, rawNumber] = hashParts();
  const key = runKey(rawKey);
  const number = /^[0-9]+$/.test(rawNumber || "") ? rawNumber : "0";
  const ep = await load(key + "/ep/" + number, "data/" + key + "/ep/" + number + ".js");
  crumbs(el("a", { href: "run.html#" + key }, "run"), el("span", {}, ep.task + " #" + ep.sample));
  show(
    el("h1", {}, ep.task, el("span", { className: "muted" }, " sample " + ep.sample + (ep.attempt ? ", attempt " + (ep.attempt + 1) : ""))),
    el("p", { id: "outcome", className: "outcome outcome-" + safeClass(ep.outcome) }, ep.outcome + " · " + ep.stop + " · " + ep.steps.length + " steps · " + secs(ep.wall_s)),
    ep.error ? el("pre", { className: "error" }, ep.error) : null,
    el("h2", {}, "Instructions"),
    el("pre", { className: "text" }, ep.instructions),
    el("h2", {}, "Steps"),
    el("ol", { id: "steps" }, ep.steps.map(stepNode)),
    ep.final_tests ? [el("h2", {}, "Final tests"), testsNode(ep.final_tests)] : null,
    el("h2", {}, "Patch"),
    ep.patch ? diffNode(ep.patch) : el("p", { className: "muted" }, "no change")
  );
}

function stepNode(step) {
  const usage = "latency " + secs(step.latency_s) + " · tokens " + num(step.prompt_tokens) + " prompt / " + num(step.completion_tokens) + " completion" + (step.retries ? " · " + step.retries + " retries" : "");
  const parts = [el("div", { className: "step-head" }, "step " + (step.index + 1) + " · " + usage + (step.finish_reason ? " · finish " + step.finish_reason : ""))];
  parts.push(el("h4", {}, "reply"), el("pre", { className: "raw" + (step.parse_error ? " bad" : "") }, step.raw));
  if (step.parse_error) parts.push(el("p", { className: "parse-error" }, "parse error ", el("code", {}, step.parse_error.kind), ": " + step.parse_error.detail));
  if (step.action) parts.push(el("h4", {}, "action (canonical)"), el("pre", { className: "action" }, step.action));
  if (step.tool) {
    const mark = step.tool.truncated ? el("span", { className: "truncated" }, " (truncated)") : null;
    parts.push(el("h4", {}, step.tool.ok ? "tool output" : "tool error", mark, el("span", { className: "muted" }, " " + secs(step.tool.elapsed_s))), el("pre", { className: "tool" + (step.tool.ok ? "" : " bad") }, step.tool.output));
  }
  if (step.tests) parts.push(el("h4", {}, "tests"), testsNode(step.tests));
  if (step.loop_detected) parts.push(el("p", { className: "parse-error" }, "loop detected"));
  return el("li", { className: "step" }, parts);
}

function testsNode(t) {
  const verdict = t.resolved ? "pass" : t.timed_out ? "timed out" : "fail";
  const entries = Object.entries(t.tests || {});
  return el(
    "div",
    { className: "tests tests-" + (t.resolved ? "pass" : "fail") },
    el("p", {}, verdict + " · exit " + (t.exit_code === null ? "–" : t.exit_code) + " · " + secs(t.elapsed_s) + " · " + t.summary),
    entries.length ? el("ul", {}, entries.map(([name, status]) => el("li", { className: "test-" + safeClass(status) }, status + "  " + name))) : null,
    t.missing && t.missing.length ? el("p", {}, "missing: " + t.missing.join(", ")) : null
  );
}

function diffNode(patch) {
  const lines = patch.split("\n").map((line) => {
    const kind = line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff ") || line.startsWith("index ") ? "meta" : line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "ctx";
    return el("span", { className: "diff-" + kind }, line + "\n");
  });
  return el("pre", { id: "patch", className: "diff" }, lines);
}

// ---- compare ------------------------------------------------------------------------------------
async function comparePage() {
  const data = await load("compare", "data/compare.js");
  crumbs(el("span", {}, "compare"));
  const onlyChanged = el("input", { type: "checkbox", id: "only-changed" });
  const body = el("tbody", {});
  const render = () =>
    body.replaceChildren(
      ...data.rows
        .filter((row) => !onlyChanged.checked || row.change !== "same")
        .map((row) =>
          el(
            "tr",
            { className: "task-row change-" + safeClass(row.change), data: { change: row.change } },
            el("td", {}, row.task),
            row.cells.map((c) => el("td", { className: c ? cellClass(c) : "absent" }, c ? cellText(c) : "–")),
            el("td", { className: "change" }, row.change === "same" ? "" : row.change)
          )
        )
    );
  onlyChanged.onchange = render;
  render();
  const counts = Object.entries(data.changes).map(([k, v]) => k + " " + v).join(" · ");
  show(
    el("h1", {}, "Comparison of " + data.labels.length + " runs"),
    el(
      "table",
      { id: "rates", className: "grid" },
      el("thead", {}, el("tr", {}, ["run", "resolved", "rate (95% CI)", "Δ vs first"].map((h) => el("th", {}, h)))),
      el(
        "tbody",
        {},
        data.rates.map((r) => el("tr", {}, el("td", {}, r.label), el("td", { className: "num" }, r.resolved + " / " + r.graded), el("td", { className: "num" }, pct(r.rate) + " (" + pct(r.ci95[0]) + "–" + pct(r.ci95[1]) + ")"), el("td", { className: "num" }, (r.delta >= 0 ? "+" : "") + (100 * r.delta).toFixed(1) + " pp")))
      )
    ),
    el("h2", {}, "Tasks"),
    el("p", {}, counts, " · ", el("label", {}, onlyChanged, " only changed tasks")),
    el("table", { id: "matrix", className: "grid" }, el("thead", {}, el("tr", {}, el("th", {}, "task"), data.labels.map((l) => el("th", {}, l)), el("th", {}, "change"))), body)
  );
}

function cellText(c) {
  if (c.episodes === 1) return Object.keys(c.outcomes)[0];
  return c.resolved + "/" + c.episodes + " resolved";
}

function cellClass(c) {
  return c.resolved === c.episodes ? "all-resolved" : c.resolved === 0 ? "none-resolved" : "some-resolved";
}

// ---- start --------------------------------------------------------------------------------------
const PAGES = { index: indexPage, run: runPage, episode: episodePage, compare: comparePage };

function start() {
  const page = PAGES[document.body.dataset.page] || indexPage;
  page().catch((error) => show(el("p", { className: "error", id: "status" }, String(error.message || error))));
}

window.addEventListener("hashchange", start);
start();
