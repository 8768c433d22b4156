// The built package against the gateway in simulator mode: real signatures, real paging,
// real jobs (on the simulator's clock), real errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "workspace-tsvi";
import { startGateway, PROJECT, TOKEN, AK, SK } from "./gateway.mjs";

let gw;
before(async () => {
  gw = await startGateway(["--seed", "11", "--servers", "240", "--groups", "4", "--job-ms", "3000"]);
});
after(() => gw?.stop());

const tokenClient = () => new Client({ endpoint: gw.url, projectId: PROJECT, auth: { token: TOKEN } });
const signedClient = (sk = SK) => new Client({ endpoint: gw.url, projectId: PROJECT, auth: { ak: AK, sk } });

async function idleServers(client, count) {
  const { items } = await client.listAllServers({});
  const idle = items.filter((s) => s.vm_status === "ACTIVE" && !s.maintain_status && !["WAITING", "RUNNING"].includes(s.job_status) && !s.task_status);
  assert.ok(idle.length >= count, `only ${idle.length} idle servers`);
  return idle.slice(0, count);
}

test("token and AK/SK clients read the same groups and servers", async () => {
  const [byToken, bySignature] = await Promise.all([
    tokenClient().listServerGroups({ limit: 100 }),
    signedClient().listServerGroups({ limit: 100 }),
  ]);
  assert.equal(byToken.count, 4);
  assert.deepEqual(byToken, bySignature);
  for (const group of byToken.items) {
    assert.equal(group.ip_virtual, undefined, "ListServerGroups does not return ip_virtual");
    const shown = await signedClient().showServerGroup(group.id);
    assert.equal(typeof shown.ip_virtual?.enable, "boolean");
  }
});

test("listAllServers pages through every server once, and filters apply", async () => {
  const client = signedClient();
  let calls = 0;
  const all = await client.listAllServers({}, { concurrency: 3, onProgress: () => calls++ });
  assert.equal(all.count, 240);
  assert.equal(all.items.length, 240);
  assert.equal(new Set(all.items.map((s) => s.id)).size, 240);
  assert.equal(calls, 3);
  const group = all.items[0].server_group_id;
  const inGroup = await client.listAllServers({ server_group_id: group });
  assert.ok(inGroup.items.length > 0 && inGroup.items.every((s) => s.server_group_id === group));
  assert.equal(inGroup.items.length, all.items.filter((s) => s.server_group_id === group).length);
  const one = await client.showServer(all.items[5].id);
  assert.equal(one.name, all.items[5].name);
});

test("a batch reboots its servers, and the v2 job and its sub-jobs follow it to SUCCESS", async () => {
  const client = signedClient();
  const servers = await idleServers(client, 3);
  const items = servers.map((s) => ({ id: s.id, enable: true }));
  const { job_id, request_id } = await client.batchUpdateTsvi(items);
  assert.match(job_id, /^\d+$/);
  assert.ok(request_id);

  const running = await client.showServer(servers[0].id);
  assert.equal(running.job_id, job_id);
  assert.equal(running.job_type, "UPDATE_SERVER_TSVI");

  await gw.advance(60_000);
  const job = await client.showJob(job_id);
  assert.equal(job.status, "SUCCESS");
  const subs = await client.listSubJobs({ job_id, limit: 100 });
  assert.equal(subs.count, 3);
  assert.deepEqual(subs.items.map((s) => s.job_resource_info.resource_id).sort(), servers.map((s) => s.id).sort());
  assert.ok(subs.items.every((s) => s.status === "SUCCESS"));
  const after = await client.showServer(servers[0].id);
  assert.equal(after.vm_status, "ACTIVE");
  assert.equal(after.session_count, 0);

  const ledger = await gw.ledger();
  const entry = ledger.find((e) => e.status === 200 && e.ids.includes(servers[0].id));
  assert.ok(entry?.applied);
});

test("the gateway's errors arrive as ApiErrors with codes and request ids", async () => {
  const wrongToken = await new Client({ endpoint: gw.url, projectId: PROJECT, auth: { token: "nope" } }).listServers({ limit: 1 }).catch((e) => e);
  assert.equal(wrongToken.name, "ApiError");
  assert.equal(wrongToken.status, 401);
  assert.equal(wrongToken.code, "auth");
  assert.ok(wrongToken.error_code && wrongToken.request_id);

  const wrongKey = await signedClient("not-the-key").listServers({ limit: 1 }).catch((e) => e);
  assert.equal(wrongKey.status, 401);
  assert.ok(!JSON.stringify(wrongKey).includes("not-the-key") && !wrongKey.message.includes("not-the-key"));

  const client = signedClient();
  const unknown = await client.batchUpdateTsvi([{ id: "no-such-server", enable: true }]).catch((e) => e);
  assert.equal(unknown.status, 404);

  const [busy] = await idleServers(client, 1);
  await client.batchUpdateTsvi([{ id: busy.id, enable: false }]);
  const conflict = await client.batchUpdateTsvi([{ id: busy.id, enable: false }]).catch((e) => e);
  assert.equal(conflict.status, 409);
  assert.ok(conflict.error_msg);

  const missing = await client.showServerGroup("no-such-group").catch((e) => e);
  assert.equal(missing.status, 404);
});
