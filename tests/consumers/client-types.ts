// Compiled with `tsc --noEmit --strict` against the packed package: the lean entry's declarations
// describe the client and the pure functions, and no part of the rollout engine.
import { ApiError, Client, planBatches, signRequest, validateBatchRequest, validateClientConfig } from "workspace-tsvi/client";
import type { AppServer, ServerGroup, SignedRequest, ValidationResult } from "workspace-tsvi/client";
// @ts-expect-error nor its types
import type { Plan } from "workspace-tsvi/client";

export async function leanExample(): Promise<string> {
  const client = new Client({ region: "cn-north-4", projectId: "0123456789abcdef0123456789abcdef", auth: { token: "t" } });
  const page = await client.listServers({ limit: 100, maintain_status: false });
  const first: AppServer | undefined = page.items[0];
  const group: ServerGroup = await client.showServerGroup(first?.server_group_id ?? "g");
  const { job_id } = await client.batchUpdateTsvi([{ id: "srv-1", enable: group.ip_virtual?.enable ?? false }]);
  const job = await client.showJob(job_id);
  const checked: ValidationResult = validateBatchRequest({ items: [] });
  const config: boolean = validateClientConfig({ region: "cn-north-4", projectId: "p", auth: { none: true } }).ok;
  const batches: string[][] = planBatches(["a", "b"]).batches;
  const signed: SignedRequest = signRequest({ method: "GET", url: "https://h/x", ak: "a", sk: "s" });
  // @ts-expect-error the lean entry has no rollout engine
  void client.planRollout;
  const plan: Plan | undefined = undefined;
  return [job.status, checked.ok, config, batches.length, signed.signature, plan].join();
}

export function leanError(e: unknown): number | undefined {
  return e instanceof ApiError ? e.status : undefined;
}
