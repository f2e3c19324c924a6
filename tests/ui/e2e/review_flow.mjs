// A reviewer's visit to the governance page in headless Chromium, driven by tests/ui/test_browser.py:
// sign in with a token, open a proposal, approve it, find the approval in the audit log, take a screenshot,
// then draw an asset's lineage. Prints one JSON object of what the page showed; pytest judges it.
//
// Argument: JSON {url, token, proposalId, lineageRef, proposalShot, screenshot, lineageShot, chromium,
// playwright}. Exits non-zero with the error on stderr when a step fails.
import { createRequire } from "node:module";

const config = JSON.parse(process.argv[2]);
const require = createRequire(import.meta.url);
const { chromium } = require(config.playwright);

const STEP_TIMEOUT_MS = 20_000;
const started = Date.now();
const timings = {};
const mark = (name) => {
  timings[name] = Date.now() - started;
};

const browser = await chromium.launch({
  executablePath: config.chromium,
  headless: true,
  args: [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--no-first-run",
    "--no-default-browser-check",
  ],
});
mark("launched");
const result = { requests: [], pageErrors: [], consoleErrors: [], timings };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on("request", (request) => result.requests.push(request.url()));
  page.on("pageerror", (error) => result.pageErrors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") result.consoleErrors.push(message.text());
  });

  // Sign in.
  await page.goto(`${config.url}/ui`);
  await page.fill("#token", config.token);
  await page.click('#sign-in-form button[type="submit"]');
  await page.waitForSelector("#who:not([hidden])");
  result.who = `${await page.textContent("#who-name")} (${await page.textContent("#who-role")})`;
  result.tokenStored = await page.evaluate(() => sessionStorage.getItem("datagraph.ui.token") !== null);
  mark("signed_in");

  // Open the proposal and approve it.
  const item = `#proposal-list [data-proposal-id="${config.proposalId}"]`;
  await page.click(item);
  await page.waitForSelector(`#proposal-detail[data-proposal-id="${config.proposalId}"] h2`);
  result.detailTitle = await page.textContent("#proposal-detail h2");
  result.diffLines = await page.$$eval("#proposal-detail pre.diff span.del", (spans) =>
    spans.map((s) => s.textContent),
  );
  result.validation = await page.textContent("#proposal-detail .ok, #proposal-detail .bad");
  result.impactRows = await page.$$eval("#proposal-detail table tbody tr", (rows) => rows.length);
  await page.screenshot({ path: config.proposalShot });
  await page.fill("#review-comment", "Impact checked: the marts are being updated.");
  await page.click("#approve");
  await page.waitForSelector("#review-result.ok");
  result.reviewResult = await page.textContent("#review-result");
  result.detailStatus = await page.$eval("#proposal-detail dl.facts", (dl) => {
    const terms = [...dl.querySelectorAll("dt")];
    const status = terms.find((dt) => dt.textContent === "status");
    return status ? status.nextElementSibling.textContent : null;
  });
  await page.waitForSelector(`${item}`, { state: "detached" }); // gone from the pending queue
  mark("approved");

  // The audit log shows the approval, and the chain is intact.
  await page.click('#tabs a[data-tab="audit"]');
  await page.waitForSelector("#chain.ok, #chain.bad");
  result.chain = await page.textContent("#chain");
  await page.fill('#audit-filters input[name="tool"]', "review_proposal");
  await page.click('#audit-filters button[type="submit"]');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll("#audit-table tbody tr[data-tool]")];
    return rows.length > 0 && rows.every((row) => row.dataset.tool === "review_proposal");
  });
  result.auditRows = await page.$$eval("#audit-table tbody tr[data-tool]", (rows) =>
    rows.map((row) => {
      const cells = [...row.querySelectorAll("td")].map((td) => td.textContent);
      return { seq: Number(row.dataset.seq), caller: cells[2], via: cells[3], tool: cells[4], outcome: cells[5] };
    }),
  );
  await page.screenshot({ path: config.screenshot });
  mark("audit_shown");

  // The lineage picture of the proposal's model.
  await page.click('#tabs a[data-tab="lineage"]');
  await page.fill('#lineage-form input[name="ref"]', config.lineageRef);
  await page.selectOption('#lineage-form select[name="direction"]', "both");
  await page.fill('#lineage-form input[name="depth"]', "2");
  await page.click('#lineage-form button[type="submit"]');
  await page.waitForSelector("#lineage-picture svg g.node");
  result.lineageNodes = await page.$$eval("#lineage-picture svg g.node", (nodes) => nodes.map((n) => n.dataset.nodeId));
  result.lineageEdges = await page.$$eval("#lineage-picture svg path.edge", (paths) => paths.length);
  result.lineageRoot = await page.$eval("#lineage-picture svg g.node.root", (node) => node.dataset.nodeId);
  await page.screenshot({ path: config.lineageShot });
  mark("lineage_drawn");
} finally {
  await browser.close();
}
mark("closed");
process.stdout.write(`${JSON.stringify(result)}\n`);
