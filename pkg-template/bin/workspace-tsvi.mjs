#!/usr/bin/env node
// `npx workspace-tsvi <command>`: the operator's command line over the package's Node build.
// Exit codes: 0 every planned server succeeded (or the command did what it was asked),
// 1 a server failed or is unknown, or the API failed; 2 usage and validation errors;
// 3 the run was interrupted and can be resumed.
import { parseArgs } from "node:util";
import * as commands from "./commands.mjs";
import { CONNECTION_OPTIONS, CONNECTION_HELP } from "./config.mjs";
import { printError, text } from "./output.mjs";

const { EXIT, UsageError } = commands;

const SELECTION = {
  group: { type: "string", multiple: true },
  "ids-file": { type: "string" },
  all: { type: "boolean" },
  "max-unavailable": { type: "string" },
  "batch-size": { type: "string" },
  concurrency: { type: "string" },
  drain: { type: "boolean" },
  "drain-timeout": { type: "string" },
  "include-busy": { type: "boolean" },
  "include-maintained": { type: "boolean" },
  "halt-after": { type: "string" },
};
const SELECTION_HELP = `Servers (one of):
  --group ID            the servers of a group (repeatable)
  --ids-file FILE       one server id a line, or JSON (an array of ids or servers); with --group,
                        the ids must be in those groups
  --all                 every server of the project
Plan options (ranges and defaults are the engine's: see the README, Safe rollouts):
  --max-unavailable N|P%  servers of one group down at once (default 25%)
  --batch-size N        servers per batch-update-tsvi call (1 to 20, default 20)
  --concurrency N       batches per wave (default 4)
  --include-busy        update servers with sessions (their users are cut)
  --include-maintained  update servers already in maintenance mode
  --drain               maintenance mode first, until sessions end or --drain-timeout
  --drain-timeout T     90 (seconds), 90s, 10m, 1h or 500ms
  --halt-after N|P%     start no new wave once more servers than this failed`;
const RUN = { report: { type: "string" }, yes: { type: "boolean", short: "y" }, "poll-interval-ms": { type: "string" }, "job-timeout-ms": { type: "string" } };
const RUN_HELP = `Run:
  --report FILE         the report, written after every change (default tsvi-report-<time>.json);
                        the CSV goes next to it (FILE without .json, plus .csv)
  -y, --yes             do not ask for confirmation (required when stdin is not a terminal)
  --poll-interval-ms N  how often jobs are polled (engine default)
  --job-timeout-ms N    how long a job is followed (engine default)
Ctrl-C stops sending new batches and keeps following the batches already sent, then saves the
report and exits with 3. A second Ctrl-C (a second or more later) exits at once: the report on
disk was saved before every call, and \`resume\` follows the jobs that were sent (nothing is sent
twice). Under npx, npm reports a Ctrl-C as 130 whatever the CLI returned.`;

const COMMANDS = {
  "servers list": {
    run: commands.serversList,
    options: { group: { type: "string" }, status: { type: "string" }, name: { type: "string" }, maintain: { type: "string" }, json: { type: "boolean" } },
    help: `Usage: workspace-tsvi servers list [--group ID] [--status S] [--name TEXT] [--maintain true|false] [--json]

Lists every server (all pages), as a table or as JSON.
  --group ID            one server group (server_group_id)
  --name TEXT           names containing TEXT (server_name)
  --maintain true|false in maintenance mode or not (maintain_status)
  --status S            vm_status or status equal to S (ListServers has no status filter: applied here)
  --json                the servers as the API returned them

Example:
  workspace-tsvi servers list --group 5c5e6e4f-0000-4000-8000-000000000001 --status ACTIVE`,
  },
  "groups list": {
    run: commands.groupsList,
    options: { json: { type: "boolean" } },
    help: `Usage: workspace-tsvi groups list [--json]

Lists the server groups with each group's ip_virtual (the setting a TSVI update applies).

Example:
  workspace-tsvi groups list --json`,
  },
  plan: {
    run: commands.plan,
    options: { ...SELECTION, out: { type: "string" }, json: { type: "boolean" } },
    help: `Usage: workspace-tsvi plan (--group ID... | --ids-file FILE | --all) [options] [--out plan.json] [--json]

Plans a rollout without changing anything: waves, batches, skipped servers with reasons, the
sessions that will be cut, warnings.
${SELECTION_HELP}
  --out FILE            save the plan for \`apply --plan FILE\`
  --json                print the plan as JSON

Example:
  workspace-tsvi plan --group GROUP_ID --max-unavailable 20% --drain --drain-timeout 10m --out plan.json`,
  },
  apply: {
    run: commands.apply,
    options: { ...SELECTION, ...RUN, plan: { type: "string" }, replan: { type: "boolean" } },
    help: `Usage: workspace-tsvi apply (--plan plan.json [--replan] | --group ID... | --ids-file FILE | --all) [options]

Runs a rollout: REBOOTS the planned servers. Shows the plan and asks first unless --yes.
  --plan FILE           a plan saved by \`plan --out\`; refused when the same servers planned now
                        differ (a server planned or skipped differently, a group's enable or limit)
  --replan              then apply the plan as made now instead
${SELECTION_HELP}
${RUN_HELP}

Example:
  workspace-tsvi apply --plan plan.json --report rollout.json`,
  },
  resume: {
    run: commands.resume,
    options: RUN,
    help: `Usage: workspace-tsvi resume --report FILE [--yes]

Continues an interrupted run from its report: follows the jobs that were sent, re-checks unknown
servers, sends only what was never sent, lifts maintenance marks the run set. The report is
updated in place.
${RUN_HELP}

Example:
  workspace-tsvi resume --report rollout.json --yes`,
  },
  "job show": {
    run: commands.jobShow,
    options: { json: { type: "boolean" } },
    help: `Usage: workspace-tsvi job show JOB_ID [--json]

Shows a job (GET /v2/{project_id}/job/{job_id}) and its sub-jobs.

Example:
  workspace-tsvi job show 2c9eb2c1-0000-4000-8000-0000000000aa`,
  },
  "job wait": {
    run: commands.jobWait,
    options: { json: { type: "boolean" }, interval: { type: "string" }, "wait-timeout": { type: "string" } },
    help: `Usage: workspace-tsvi job wait JOB_ID [--interval MS] [--wait-timeout MS] [--json]

Polls a job until it is SUCCESS (exit 0) or FAILED (exit 1), then shows it with its sub-jobs.
  --interval MS         between polls (default 2000)
  --wait-timeout MS     give up after this (default 3600000; exit 1)

Example:
  workspace-tsvi job wait 2c9eb2c1-0000-4000-8000-0000000000aa --interval 5000`,
  },
  validate: {
    run: commands.validate,
    options: { json: { type: "boolean" } },
    local: true,
    help: `Usage: workspace-tsvi validate FILE [--json]

Checks a batch-update-tsvi body ({"items":[{"id","enable"}]}) and lists every problem; nothing is
sent. Exit 0 when valid, 2 when not.

Example:
  workspace-tsvi validate body.json`,
  },
};

const MAIN_HELP = `Usage: workspace-tsvi <command> [options]     (workspace-tsvi <command> --help for more)

Batch-update the virtual session IP (TSVI) of Huawei Cloud Workspace APP servers safely.
An update REBOOTS the servers and disconnects their users.

Commands:
  servers list      list servers (--group, --status, --name, --maintain), a table or --json
  groups list       list server groups with their ip_virtual
  plan              plan a rollout (waves, batches, skips, sessions cut) and --out plan.json
  apply             run a plan (--plan plan.json) or plan and run (same flags as plan)
  resume            continue an interrupted run from its --report
  job show ID       a job with its sub-jobs
  job wait ID       poll a job until it ends
  validate FILE     check a batch-update-tsvi body, every problem listed

${CONNECTION_HELP}

Exit codes: 0 success (every planned server succeeded); 1 a server failed or is unknown, or an
API call failed; 2 usage or validation error; 3 interrupted (resume it with \`resume --report\`).

Example:
  export HUAWEICLOUD_SDK_AK=... HUAWEICLOUD_SDK_SK=... HUAWEICLOUD_SDK_PROJECT_ID=...
  workspace-tsvi plan --region cn-north-4 --group GROUP_ID --out plan.json
  workspace-tsvi apply --region cn-north-4 --plan plan.json`;

export async function main(argv, ctx) {
  if (argv[0] === "--version") {
    const { readFileSync } = await import("node:fs");
    ctx.out.write(`${JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version}\n`);
    return EXIT.ok;
  }
  // The command is the first one or two words: `plan ...`, `servers list ...`.
  const name = [`${argv[0]} ${argv[1]}`, argv[0]].find((n) => Object.hasOwn(COMMANDS, n));
  if (name === undefined) {
    if (argv.includes("--help") || argv.includes("-h")) return ctx.out.write(`${MAIN_HELP}\n`), EXIT.ok;
    ctx.err.write(argv.length ? `error: unknown command ${text(argv.slice(0, 2).join(" "))} (workspace-tsvi --help lists them)\n` : `${MAIN_HELP}\n`);
    return EXIT.usage;
  }
  const command = COMMANDS[name];
  const rest = argv.slice(name.split(" ").length);
  const options = { ...(command.local ? {} : CONNECTION_OPTIONS), ...command.options, help: { type: "boolean", short: "h" } };
  const help = command.local ? command.help : `${command.help}\n\n${CONNECTION_HELP}`;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (e) {
    ctx.err.write(`error: ${text(e.message)}\n\n${help}\n`);
    return EXIT.usage;
  }
  if (parsed.values.help) return ctx.out.write(`${help}\n`), EXIT.ok;
  const wantsId = name === "job show" || name === "job wait" || name === "validate";
  if (parsed.positionals.length > (wantsId ? 1 : 0)) {
    ctx.err.write(`error: unexpected argument ${text(parsed.positionals.at(-1))}\n\n${help}\n`);
    return EXIT.usage;
  }
  try {
    return await command.run(ctx, parsed.values, parsed.positionals);
  } catch (e) {
    if (e instanceof UsageError) {
      ctx.err.write(`error: ${e.message}\n`);
      return EXIT.usage;
    }
    printError(ctx.err, e);
    if (e?.name === "ValidationError") return EXIT.usage;
    if (e?.name === "AbortError") return EXIT.interrupted;
    return EXIT.failed;
  }
}

// A closed pipe (`| head`) ends the output, not in a stack trace.
process.stdout.on("error", (e) => (e.code === "EPIPE" ? process.exit(process.exitCode ?? EXIT.ok) : Promise.reject(e)));

let interruptHandler = null;
process.on("SIGINT", () => {
  if (interruptHandler) interruptHandler();
  else process.exit(EXIT.interrupted); // nothing is running that a Ctrl-C should let finish
});
const ctx = {
  out: process.stdout,
  err: process.stderr,
  stdin: process.stdin,
  env: process.env,
  onInterrupt: (handler) => (interruptHandler = handler),
  exit: (code) => process.exit(code),
};
process.exitCode = await main(process.argv.slice(2), ctx);
