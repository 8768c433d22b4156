"""The Python peer of rows 3 and 5: what a script written with Huawei's official Python SDK
(huaweicloudsdkcore with huaweicloudsdkworkspaceapp) does, one call after another.

Reads JSON on stdin: {task: "submit" | "list", url, project, ak, sk, runs, batches?, reset?}.
  submit: sends `batches` ([[{id, enable}]]) with batch_update_tsvi, one after another; the
          figure is the time until the last one is accepted (answered with a job_id). The world
          is reset (POST /_sim/reset) before each run, outside the timing, so each run sends the
          same servers to a fresh world.
  list:   pages through ListServers (limit 100) one page after another until `count` is read.
Prints {"version", "runs_ms", ...} as JSON. The client is built once, before any timing.
"""
import json
import sys
import time
import urllib.request
from importlib.metadata import version

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkworkspaceapp.v1 import (
    BatchUpdateTsviRequest,
    ListServersRequest,
    UpdateTsvi,
    UpdateTsviReq,
    WorkspaceAppClient,
)

args = json.load(sys.stdin)
client = (WorkspaceAppClient.new_builder()
          .with_credentials(BasicCredentials(args["ak"], args["sk"], args["project"]))
          .with_endpoints([args["url"]])
          .build())


def reset():
    request = urllib.request.Request(f"{args['url']}/_sim/reset", data=b"{}", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def submit():
    jobs = []
    for batch in args["batches"]:
        items = [UpdateTsvi(id=item["id"], enable=item["enable"]) for item in batch]
        answer = client.batch_update_tsvi(BatchUpdateTsviRequest(body=UpdateTsviReq(items=items)))
        jobs.append(answer.job_id)
    return {"jobs": len(jobs)}


def list_all():
    servers, offset = [], 0
    while True:
        page = client.list_servers(ListServersRequest(limit=100, offset=offset))
        servers.extend(page.items)
        offset += 100
        if not page.items or len(servers) >= page.count:
            return {"servers": len(servers), "distinct": len({s.id for s in servers})}


task = {"submit": submit, "list": list_all}[args["task"]]
runs, last = [], None
for _ in range(args["runs"]):
    if args.get("reset"):
        reset()
    started = time.perf_counter()
    last = task()
    runs.append((time.perf_counter() - started) * 1000)
print(json.dumps({"version": version("huaweicloudsdkworkspaceapp"), "runs_ms": runs, **last}))
