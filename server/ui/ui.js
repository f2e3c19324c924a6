// The governance page: sign in with a bearer token, then read and act through /ui/api/ (each call governed
// and audited by the server). Data only ever reaches the page as text nodes, never as markup.
"use strict";

const TOKEN_KEY = "datagraph.ui.token";
const API = "/ui/api";
// The permission each section needs (the server checks it again on every call).
const SECTIONS = { proposals: "review_proposal", audit: "audit_log", lineage: "trace_lineage" };
const SVG_NS = "http://www.w3.org/2000/svg";

const state = { session: null, proposals: [], selected: null, auditCursor: null };

const $ = (id) => document.getElementById(id);

// An element with attributes and children; strings become text nodes.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

function clear(node) {
  node.replaceChildren();
  return node;
}

function shorten(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function when(iso) {
  return iso ? iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "") : "";
}

// ---------------------------------------------------------------- talking to the server

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(API + path, { ...options, headers, cache: "no-store", credentials: "omit" });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message = data && typeof data.error === "string" ? data.error : `${response.status} ${response.statusText}`;
    if (response.status === 401) signOut(`The server did not accept the token: ${message}`);
    throw new ApiError(response.status, message);
  }
  return data;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

function showError(section, error) {
  const box = section.querySelector('[data-role="error"]');
  box.textContent = error ? error.message : "";
  box.hidden = !error;
}

// ---------------------------------------------------------------- signing in

async function signIn(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("token").value = "";
  await startSession();
}

async function startSession() {
  const problem = $("sign-in-error");
  problem.hidden = true;
  try {
    state.session = await api("/session");
  } catch (error) {
    if (error.status !== 401) signOut(`Could not sign in: ${error.message}`);
    return;
  }
  $("who-name").textContent = state.session.principal;
  $("who-role").textContent = state.session.role;
  $("who").hidden = false;
  $("sign-in").hidden = true;
  $("tabs").hidden = false;
  for (const link of document.querySelectorAll("#tabs a")) {
    link.classList.toggle("locked", !state.session.may[SECTIONS[link.dataset.tab]]);
  }
  showTab();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.session = null;
  state.proposals = [];
  state.selected = null;
  $("who").hidden = true;
  $("tabs").hidden = true;
  for (const section of document.querySelectorAll("section.tab")) section.hidden = true;
  $("sign-in").hidden = false;
  const problem = $("sign-in-error");
  problem.textContent = message || "";
  problem.hidden = !message;
}

// ---------------------------------------------------------------- tabs

function currentTab() {
  const wanted = location.hash.slice(1);
  if (wanted in SECTIONS) return wanted;
  const allowed = Object.keys(SECTIONS).find((tab) => state.session.may[SECTIONS[tab]]);
  return allowed || "proposals";
}

function showTab() {
  if (!state.session) return;
  const tab = currentTab();
  for (const section of document.querySelectorAll("section.tab")) section.hidden = section.id !== tab;
  for (const link of document.querySelectorAll("#tabs a")) {
    link.classList.toggle("active", link.dataset.tab === tab);
  }
  const section = $(tab);
  const permission = SECTIONS[tab];
  section.classList.toggle("denied", !state.session.may[permission]);
  if (!state.session.may[permission]) {
    showError(section, new Error(`Role '${state.session.role}' may not use this section: it needs '${permission}'.`));
    return;
  }
  showError(section, null);
  if (tab === "proposals") loadProposals();
  if (tab === "audit") {
    verifyChain();
    loadAudit(false);
  }
}

// ---------------------------------------------------------------- proposals

async function loadProposals() {
  const section = $("proposals");
  try {
    const answer = await api(`/proposals${query({ status: $("proposal-status").value })}`);
    state.proposals = answer.proposals;
    showError(section, null);
  } catch (error) {
    showError(section, error);
    return;
  }
  renderProposalList();
}

function renderProposalList() {
  const list = clear($("proposal-list"));
  if (state.proposals.length === 0) list.append(el("li", { class: "muted", text: "No proposals here." }));
  for (const proposal of state.proposals) {
    const breaking = proposal.impact ? proposal.impact.summary.breaking : 0;
    const item = el(
      "li",
      {},
      el(
        "button",
        {
          type: "button",
          class: proposal.proposal_id === state.selected ? "item selected" : "item",
          "data-proposal-id": proposal.proposal_id,
        },
        el("span", { class: "title", text: proposal.title }),
        el("span", { class: `badge ${proposal.status}`, text: proposal.status.replace("_", " ") }),
        el("span", {
          class: "meta",
          text: `${proposal.target_name} · by ${proposal.proposed_by} · ${when(proposal.proposed_at)}`,
        }),
        breaking ? el("span", { class: "badge breaking", text: `${breaking} breaking` }) : null,
      ),
    );
    item.firstChild.addEventListener("click", () => openProposal(proposal.proposal_id));
    list.append(item);
  }
}

async function openProposal(proposalId) {
  state.selected = proposalId;
  renderProposalList();
  try {
    renderProposal(await api(`/proposals/${encodeURIComponent(proposalId)}`));
  } catch (error) {
    showError($("proposals"), error);
  }
}

function diffView(diff) {
  const pre = el("pre", { class: "diff" });
  for (const line of diff.replace(/\n$/, "").split("\n")) {
    let kind = "";
    if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff ")) kind = "file";
    else if (line.startsWith("@@")) kind = "hunk";
    else if (line.startsWith("+")) kind = "add";
    else if (line.startsWith("-")) kind = "del";
    pre.append(el("span", { class: kind, text: `${line}\n` }));
  }
  return pre;
}

function facts(pairs) {
  const list = el("dl", { class: "facts" });
  for (const [term, value] of pairs) {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) continue;
    list.append(el("dt", { text: term }), el("dd", { text: Array.isArray(value) ? value.join(", ") : String(value) }));
  }
  return list;
}

function validationView(validation) {
  if (!validation) return el("p", { class: "muted", text: "No validation recorded." });
  const box = el("div", {});
  box.append(
    el("p", {
      class: validation.parses ? "ok" : "bad",
      text: validation.parses ? "The new SQL parses." : "The new SQL does not parse.",
    }),
    facts([
      ["errors", validation.errors],
      ["columns added", validation.columns_added],
      ["columns removed", validation.columns_removed],
      ["columns retyped", validation.columns_retyped.map((c) => `${c.name}: ${c.old_type} → ${c.new_type}`)],
      ["columns renamed", (validation.columns_renamed || []).map((c) => `${c.old_name} → ${c.new_name}`)],
      ["contract violations", validation.contract_violations],
      ["warnings", validation.warnings || []],
    ]),
  );
  return box;
}

function impactView(impact) {
  if (!impact) return el("p", { class: "muted", text: "No impact recorded." });
  const box = el("div", {});
  box.append(
    el("p", { text: `${impact.summary.breaking} breaking, ${impact.summary.at_risk} at risk downstream.` }),
  );
  if (impact.impacted.length) {
    const body = el("tbody", {});
    for (const asset of impact.impacted) {
      body.append(
        el(
          "tr",
          {},
          el("td", { text: asset.name, title: asset.qualified_name || asset.id }),
          el("td", { text: asset.kind }),
          el("td", {}, el("span", { class: `badge ${asset.severity}`, text: asset.severity.replace("_", " ") })),
          el("td", { text: String(asset.distance) }),
          el("td", { text: asset.reason }),
          el("td", { text: asset.owners.join(", ") }),
        ),
      );
    }
    const columns = ["asset", "kind", "severity", "hops", "why", "owners"];
    const head = el("tr", {}, ...columns.map((h) => el("th", { text: h })));
    box.append(el("div", { class: "scroll" }, el("table", {}, el("thead", {}, head), body)));
  }
  box.append(facts([["notify", impact.notify], ["tests", impact.tests.map((t) => t.name)]]));
  return box;
}

function renderProposal(proposal) {
  const detail = clear($("proposal-detail"));
  detail.hidden = false;
  detail.dataset.proposalId = proposal.proposal_id;
  detail.append(
    el("h2", { text: proposal.title }),
    facts([
      ["id", proposal.proposal_id],
      ["changes", `${proposal.target_name} (${proposal.target})`],
      ["status", proposal.status.replace("_", " ")],
      ["proposed by", `${proposal.proposed_by} (${proposal.proposed_role}) at ${when(proposal.proposed_at)}`],
      ["reviewed by", proposal.reviewed_by ? `${proposal.reviewed_by} at ${when(proposal.reviewed_at)}` : null],
      ["review comment", proposal.review_comment],
      ["waits for", (proposal.approvals_missing || []).map((g) => g.owners.join(" or "))],
    ]),
    el("p", { class: "rationale", text: proposal.rationale }),
    el("h3", { text: "Diff" }),
    diffView(proposal.diff),
    el("h3", { text: "Validation" }),
    validationView(proposal.validation),
    el("h3", { text: "Impact" }),
    impactView(proposal.impact),
  );
  if (proposal.suggested_tests.length) {
    detail.append(
      el("h3", { text: "Suggested tests" }),
      el("ul", {}, ...proposal.suggested_tests.map((t) => {
        const where = t.column ? ` on ${t.column}` : "";
        return el("li", { text: `${t.test}${where}: ${t.reason}` });
      })),
    );
  }
  if (proposal.reviews.length) {
    detail.append(
      el("h3", { text: "Reviews" }),
      el("ul", {}, ...proposal.reviews.map((r) => {
        return el("li", { text: `${when(r.at)} ${r.reviewer} (${r.role}) ${r.decision}d: ${r.comment}` });
      })),
    );
  }
  if (proposal.status === "pending_review") detail.append(reviewForm(proposal));
}

function reviewForm(proposal) {
  const comment = el("textarea", { id: "review-comment", rows: 3, maxlength: 5000, required: true });
  const approve = el("button", { id: "approve", type: "button", class: "approve", text: "Approve" });
  const reject = el("button", { id: "reject", type: "button", class: "reject", text: "Reject" });
  const result = el("p", { id: "review-result", role: "status" });
  const decide = async (decision) => {
    if (!comment.value.trim()) {
      result.className = "error";
      result.textContent = "Write a comment first: it is kept with the proposal as the reason for the decision.";
      return;
    }
    approve.disabled = reject.disabled = true;
    try {
      const answer = await api(`/proposals/${encodeURIComponent(proposal.proposal_id)}/review`, {
        method: "POST",
        body: JSON.stringify({ decision, comment: comment.value.trim() }),
      });
      renderProposal(answer);
      // Still pending when the policy wants more owners to approve: the new form has its own result line.
      const note =
        $("review-result") || $("proposal-detail").appendChild(el("p", { id: "review-result", role: "status" }));
      note.className = "ok";
      note.textContent = `${answer.proposal_id} is now ${answer.status.replace("_", " ")}.`;
      loadProposals();
    } catch (error) {
      result.className = "error";
      result.textContent = error.message;
      approve.disabled = reject.disabled = false;
    }
  };
  approve.addEventListener("click", () => decide("approve"));
  reject.addEventListener("click", () => decide("reject"));
  return el(
    "div",
    { class: "review" },
    el("h3", { text: "Review" }),
    el("label", { for: "review-comment", text: "Comment (required; kept with the proposal)" }),
    comment,
    el("div", { class: "buttons" }, approve, reject),
    result,
  );
}

// ---------------------------------------------------------------- audit log

async function verifyChain() {
  const banner = $("chain");
  banner.className = "chain";
  banner.textContent = "Checking the hash chain…";
  try {
    const report = await api("/audit/verify");
    if (report.ok) {
      const head = report.head ? `; head #${report.head.seq} ${report.head.hash.slice(0, 12)}…` : "";
      banner.textContent = `Chain intact: ${report.checked} entries checked${head}`;
      banner.classList.add("ok");
    } else {
      banner.textContent = `Chain BROKEN at entry ${report.first_bad_seq}: ${report.problem}`;
      banner.classList.add("bad");
    }
  } catch (error) {
    banner.textContent = `Chain not checked: ${error.message}`;
    banner.classList.add("bad");
  }
}

function localToIso(value) {
  return value ? new Date(value).toISOString() : "";
}

async function loadAudit(older) {
  const section = $("audit");
  const form = $("audit-filters");
  const filters = {
    tool: form.elements.tool.value.trim(),
    principal: form.elements.principal.value.trim(),
    outcome: form.elements.outcome.value,
    since: localToIso(form.elements.since.value),
    until: localToIso(form.elements.until.value),
    limit: form.elements.limit.value,
    cursor: older ? state.auditCursor : "",
  };
  let page;
  try {
    page = await api(`/audit${query(filters)}`);
    showError(section, null);
  } catch (error) {
    showError(section, error);
    return;
  }
  const body = $("audit-table").tBodies[0];
  if (!older) clear(body);
  for (const entry of page.entries) {
    const args = JSON.stringify(entry.arguments);
    body.append(
      el(
        "tr",
        { "data-seq": entry.seq, "data-tool": entry.tool, "data-outcome": entry.outcome },
        el("td", { text: String(entry.seq) }),
        el("td", { text: when(entry.time), title: entry.time }),
        el("td", { text: `${entry.principal} (${entry.role})` }),
        el("td", { text: entry.transport }),
        el("td", { text: entry.tool }),
        el("td", {}, el("span", { class: `badge ${entry.outcome}`, text: entry.outcome })),
        el("td", { class: "num", text: entry.latency_ms.toFixed(1) }),
        el("td", { class: "args", text: shorten(args, 90), title: args }),
        el("td", { class: "err", text: entry.error || "" }),
      ),
    );
  }
  if (!body.rows.length) body.append(el("tr", {}, el("td", { colspan: 9, class: "muted", text: "No entries match." })));
  state.auditCursor = page.next_cursor;
  $("audit-older").hidden = page.next_cursor === null;
}

// ---------------------------------------------------------------- lineage

const NODE_W = 200;
const NODE_H = 46;
const GAP_X = 70;
const GAP_Y = 16;
const PAD = 16;

function kindGroup(kind) {
  if (["source", "table", "view", "model", "seed", "snapshot"].includes(kind)) return "dataset";
  if (["metric", "semantic_model", "measure", "dimension", "entity"].includes(kind)) return "semantic";
  if (["dashboard", "chart", "explore", "exposure"].includes(kind)) return "bi";
  if (kind === "column") return "column";
  return "other";
}

// Layered by distance: upstream columns on the left, the root in its own column, downstream on the right.
function layout(nodes) {
  const layers = new Map();
  for (const node of nodes) {
    if (!layers.has(node.distance)) layers.set(node.distance, []);
    layers.get(node.distance).push(node);
  }
  const distances = [...layers.keys()].sort((a, b) => a - b);
  const place = new Map();
  distances.forEach((distance, column) => {
    const layer = layers.get(distance).sort((a, b) => a.name.localeCompare(b.name));
    layer.forEach((node, row) => {
      place.set(node.id, { x: PAD + column * (NODE_W + GAP_X), y: PAD + row * (NODE_H + GAP_Y) });
    });
  });
  const rows = Math.max(1, ...[...layers.values()].map((layer) => layer.length));
  return {
    place,
    width: PAD * 2 + distances.length * NODE_W + Math.max(0, distances.length - 1) * GAP_X,
    height: PAD * 2 + rows * NODE_H + (rows - 1) * GAP_Y,
  };
}

function drawLineage(answer) {
  const { place, width, height } = layout(answer.nodes);
  const picture = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", class: "lineage" });
  const defs = svg("defs");
  const marker = svg("marker", {
    id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto",
  });
  marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }));
  defs.append(marker);
  picture.append(defs, svg("title"));
  picture.lastChild.textContent = `Lineage of ${answer.root}`;
  for (const edge of answer.edges) {
    const from = place.get(edge.source);
    const to = place.get(edge.target);
    if (!from || !to) continue;
    const x1 = from.x + NODE_W;
    const y1 = from.y + NODE_H / 2;
    const x2 = to.x;
    const y2 = to.y + NODE_H / 2;
    const bend = Math.max(40, Math.abs(x2 - x1) / 2);
    const path = svg("path", {
      d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
      class: `edge ${edge.kind}`,
      "marker-end": "url(#arrow)",
    });
    const title = svg("title");
    title.textContent = `${edge.kind}${edge.transformation ? ` (${edge.transformation})` : ""}`;
    path.append(title);
    picture.append(path);
  }
  for (const node of answer.nodes) {
    const at = place.get(node.id);
    const group = svg("g", {
      class: `node ${kindGroup(node.kind)}${node.id === answer.root ? " root" : ""}`,
      transform: `translate(${at.x},${at.y})`,
      "data-node-id": node.id,
      tabindex: 0,
    });
    const title = svg("title");
    title.textContent = `${node.kind}: ${node.qualified_name || node.id}`;
    const name = svg("text", { x: 10, y: 20, class: "name" });
    name.textContent = shorten(node.name, 22);  // bold 13px: about 8px a character in a 200px box
    const kind = svg("text", { x: 10, y: 37, class: "kind" });
    kind.textContent = node.distance === 0 ? `${node.kind} · traced from here` : node.kind;
    group.append(title, svg("rect", { width: NODE_W, height: NODE_H, rx: 6 }), name, kind);
    group.addEventListener("click", () => traceFrom(node.id));
    group.addEventListener("keydown", (event) => {
      if (event.key === "Enter") traceFrom(node.id);
    });
    picture.append(group);
  }
  return picture;
}

function traceFrom(ref) {
  const form = $("lineage-form");
  form.elements.ref.value = ref;
  form.elements.column.value = "";
  trace();
}

async function trace(event) {
  if (event) event.preventDefault();
  const section = $("lineage");
  const form = $("lineage-form");
  const params = {
    ref: form.elements.ref.value.trim(),
    column: form.elements.column.value.trim(),
    direction: form.elements.direction.value,
    depth: form.elements.depth.value,
  };
  if (!params.ref) return;
  let answer;
  try {
    answer = await api(`/lineage${query(params)}`);
    showError(section, null);
  } catch (error) {
    showError(section, error);
    return;
  }
  const picture = clear($("lineage-picture"));
  picture.append(drawLineage(answer));
  $("lineage-summary").textContent =
    `${answer.nodes.length} nodes, ${answer.edges.length} edges, ${answer.direction} to depth ${answer.depth}` +
    (answer.truncated ? " (cut short: narrow the trace to see the rest)" : "") +
    ". Click a node to trace from it.";
  const notes = clear($("lineage-notes"));
  for (const note of answer.notes) notes.append(el("li", { text: note }));
}

// ---------------------------------------------------------------- start

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut(""));
  $("proposal-status").addEventListener("change", loadProposals);
  $("proposals-refresh").addEventListener("click", loadProposals);
  $("verify").addEventListener("click", verifyChain);
  $("audit-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadAudit(false);
  });
  $("audit-older").addEventListener("click", () => loadAudit(true));
  $("lineage-form").addEventListener("submit", trace);
  window.addEventListener("hashchange", showTab);
  if (sessionStorage.getItem(TOKEN_KEY)) startSession();
});
