"""Huawei's official Python SDK against our gateway in simulator mode.

This proves that the simulator accepts real SDK-HMAC-SHA256 signatures and speaks the real wire
format: the SDK's own request builders, signer, response models and error handler are used
unchanged. Run by `make test` (pytest in .venv); the gateway binary comes from
TSVI_GATEWAY_BIN or target/debug/tsvi-gateway.
"""
import json
import os
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkworkspaceapp.v1 import (
    BatchUpdateTsviRequest,
    ListServerGroupsRequest,
    ListServersRequest,
    ListSubJobsRequest,
    ShowJobDetailRequest,
    ShowServerGroupRequest,
    UpdateTsvi,
    UpdateTsviReq,
    WorkspaceAppClient,
)

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "0123456789abcdef0123456789abcdef"
AK, SK = "COMPATTESTAK", "compat-test-sk"


@pytest.fixture(scope="module")
def gateway():
    binary = os.environ.get("TSVI_GATEWAY_BIN", str(ROOT / "target" / "debug" / "tsvi-gateway"))
    proc = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0", "--project-id", PROJECT, "--ak", AK, "--sk", SK,
         "--seed", "7", "--servers", "60", "--groups", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        url = None
        for _ in range(200):  # the banner is a few lines; bounded read
            line = proc.stdout.readline()
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if found:
                url = found.group(1)
                break
        assert url, "the gateway did not say where it listens"
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def sdk_client(url, sk=SK):
    return (
        WorkspaceAppClient.new_builder()
        .with_credentials(BasicCredentials(AK, sk, PROJECT))
        .with_endpoints([url])
        .build()
    )


def sim(url, path, body):
    request = urllib.request.Request(
        f"{url}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read()


def test_official_sdk_runs_a_tsvi_update_end_to_end(gateway):
    client = sdk_client(gateway)

    groups = client.list_server_groups(ListServerGroupsRequest(limit=100))
    assert groups.count == 3 and len(groups.items) == 3
    group = groups.items[0]

    shown = client.show_server_group(ShowServerGroupRequest(server_group_id=group.id))
    assert shown.id == group.id
    assert shown.ip_virtual is not None, "ShowServerGroup carries ip_virtual"
    enable = shown.ip_virtual.enable

    servers = client.list_servers(ListServersRequest(limit=100, offset=0, server_group_id=group.id))
    assert servers.count == len(servers.items) > 0
    assert all(s.server_group_id == group.id for s in servers.items)
    ready = [
        s for s in servers.items
        if s.vm_status == "ACTIVE" and not s.maintain_status and s.job_status not in ("WAITING", "RUNNING")
    ][:3]
    assert len(ready) == 3, "the seeded group has servers that can be updated"

    body = UpdateTsviReq(items=[UpdateTsvi(id=s.id, enable=enable) for s in ready])
    answer = client.batch_update_tsvi(BatchUpdateTsviRequest(body=body))
    assert re.fullmatch(r"\d+", answer.job_id)

    sim(gateway, "/_sim/clock", {"advance_ms": 120_000})
    job = client.show_job_detail(ShowJobDetailRequest(job_id=answer.job_id))
    assert job.status == "SUCCESS"
    assert job.job_type == "UPDATE_SERVER_TSVI"

    subs = client.list_sub_jobs(ListSubJobsRequest(job_type="UPDATE_SERVER_TSVI", job_id=answer.job_id, limit=100))
    assert subs.count == 3
    assert sorted(s.job_resource_info.resource_id for s in subs.items) == sorted(s.id for s in ready)
    assert {s.status for s in subs.items} == {"SUCCESS"}


def test_a_wrong_secret_key_gets_401_from_the_official_error_handler(gateway):
    client = sdk_client(gateway, sk="not-the-secret")
    with pytest.raises(ClientRequestException) as raised:
        client.list_server_groups(ListServerGroupsRequest(limit=10))
    error = raised.value
    assert error.status_code == 401
    assert error.error_code and error.error_code != "401", "a JSON error body with an APIG-style code"
    assert error.request_id, "X-Request-Id is read by the SDK"
    assert "not-the-secret" not in str(error.error_msg)
