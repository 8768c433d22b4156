// Compiled with `tsc --noEmit --strict` against the packed package: the declarations users get
// must describe the API as it is.
import { Client, blockReason, planBatches, reportToCsv, signRequest, validateBatchRequest, validateClientConfig } from "workspace-tsvi";
import type { Plan, Report, RolloutEvent, AppServer, ServerGroup, BlockReason } from "workspace-tsvi";

export async function example(): Promise<string> {
  const client = new Client({ region: "cn-north-4", projectId: "0123456789abcdef0123456789abcdef", auth: { token: "t" } });
  const page = await client.listServers({ limit: 100, maintain_status: false });
  const first: AppServer | undefined = page.items[0];
  const group: ServerGroup = await client.showServerGroup(first?.server_group_id ?? "g");
  const enable: boolean = group.ip_virtual?.enable ?? false;
  const { job_id } = await client.batchUpdateTsvi([{ id: "srv-1", enable }]);
  const job = await client.showJob(job_id);
  const all = await client.listAllServers(undefined, { concurrency: 4, onProgress: (loaded: number, total: number) => void [loaded, total] });
  const plan: Plan = await client.planRollout(all.items, { maxUnavailable: "25%", drain: true });
  const events: RolloutEvent[] = [];
  const jobs: string[] = [];
  const report: Report = await client.runRollout(plan, {
    onEvent: (e) => {
      events.push(e);
      // The union is told apart by `type`: job_id is a string on this variant only.
      if (e.type === "batch_submitted") jobs.push(e.job_id);
    },
    pollIntervalMs: 2000,
  });
  const block: BlockReason | null = blockReason(all.items[0], { includeBusy: true });
  const again: Report = await client.resumeRollout(report);
  const checked: boolean = validateBatchRequest({ items: [] }).ok;
  const batches: string[][] = planBatches(["a", "b"]).batches;
  const signed = signRequest({ method: "GET", url: "https://h/x", ak: "a", sk: "s", query: [["k", [1, 2]]] });
  return [job.status, again.status, checked, batches.length, signed.signature, reportToCsv(report), jobs.length, block?.reason].join();
}

// The error classes narrow by `instanceof` and by `name`, each with its typed fields.
import { ApiError, ValidationError, TimeoutError, NetworkError, AbortError } from "workspace-tsvi";
import type { TsviError } from "workspace-tsvi";

export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    const fields: [number, string, string, string | null, "auth" | "service"] = [e.status, e.error_code, e.error_msg, e.request_id, e.code];
    return fields.join();
  }
  if (e instanceof ValidationError) return e.errors.map((i) => `${i.path} ${i.code}`).join();
  if (e instanceof TimeoutError) return `${e.timeoutMs}`;
  if (e instanceof NetworkError) return `${e.sent}`;
  if (e instanceof AbortError) return e.code;
  return String(e);
}

export function byName(e: TsviError): string {
  switch (e.name) {
    case "ApiError": return `${e.status + 1} ${e.retryAfterMs ?? 0}`;
    case "ValidationError": return e.errors[0]?.code ?? "";
    case "TimeoutError": return `${e.timeoutMs + 1}`;
    case "NetworkError": return e.sent ? "sent" : "not sent";
    case "AbortError": return e.code;
  }
}

// The README's example: a server's id is always there, so the ids are strings.
export async function readmeExample(client: Client, groupId: string): Promise<string[][]> {
  const { items: servers } = await client.listAllServers({ server_group_id: groupId }, { concurrency: 4 });
  return planBatches(servers.map((s) => s.id), { batchSize: 20 }).batches;
}

// Inputs are `unknown`, never `any`: anything may be passed, and nothing escapes unchecked.
type IsAny<T> = 0 extends 1 & T ? true : false;
export const batchInputIsNotAny: IsAny<Parameters<typeof validateBatchRequest>[0]> = false;
export const configInputIsNotAny: IsAny<Parameters<typeof validateClientConfig>[0]> = false;
export const parsedInputIsAccepted: boolean = validateBatchRequest(JSON.parse("{}") as unknown).ok;
