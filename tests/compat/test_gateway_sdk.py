"""The gateway against Huawei's official Python SDK (huaweicloudsdkworkspaceapp).

Proves that the simulator accepts the SDK's real SDK-HMAC-SHA256 signatures and speaks the
wire format the SDK parses. Starts the gateway binary on 127.0.0.1:0 (TSVI_GATEWAY_BIN, or
target/debug/tsvi-gateway) and moves its simulated clock instead of sleeping.

    .venv/bin/python -m pytest tests/compat   (make test runs it)
"""

import json
import os
import pathlib
import re
import subprocess
import urllib.request

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkworkspaceapp.v1 import (
    BatchChangeMaintainServerReq,
    BatchChangeServerMaintainModeRequest,
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

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("TSVI_GATEWAY_BIN", str(ROOT / "target" / "debug" / "tsvi-gateway"))
PROJECT = "0123456789abcdef0123456789abcdef"
AK = "COMPATTESTAK0000001"
SK = "compat-test-secret-key"


@pytest.fixture(scope="module")
def gateway():
    process = subprocess.Popen(
        [BIN, "--listen", "127.0.0.1:0", "--project-id", PROJECT, "--ak", AK, "--sk", SK, "--servers", "60", "--seed", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = None
        for _ in range(50):
            line = process.stdout.readline()
            found = re.match(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if found:
                url = found.group(1)
                break
        assert url, "the gateway printed its address"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def client(url, sk=SK):
    credentials = BasicCredentials(AK, sk, PROJECT)
    return WorkspaceAppClient.new_builder().with_credentials(credentials).with_endpoints([url]).build()


def sim(url, route, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/_sim/{route}", data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def test_groups_and_servers(gateway):
    c = client(gateway)
    groups = c.list_server_groups(ListServerGroupsRequest(limit=100))
    assert groups.count == 4 and len(groups.items) == 4
    group = c.show_server_group(ShowServerGroupRequest(server_group_id=groups.items[0].id))
    assert group.ip_virtual is not None and group.ip_virtual.enable in (True, False)
    page = c.list_servers(ListServersRequest(limit=100, offset=0, maintain_status="false", server_name="a b~*"))
    assert page.count == 0
    page = c.list_servers(ListServersRequest(limit=100, offset=0, server_group_id=groups.items[0].id))
    assert page.count == len(page.items) > 0
    assert all(s.server_group_id == groups.items[0].id for s in page.items)


def test_a_batch_runs_to_success(gateway):
    c = client(gateway)
    servers = c.list_servers(ListServersRequest(limit=100)).items
    ids = [s.id for s in servers if s.vm_status == "ACTIVE" and s.task_status is None and not s.maintain_status][:3]
    assert len(ids) == 3
    maint = BatchChangeMaintainServerReq(items=ids[:1], maintain_status=True)
    c.batch_change_server_maintain_mode(BatchChangeServerMaintainModeRequest(body=maint))
    answer = c.batch_update_tsvi(BatchUpdateTsviRequest(body=UpdateTsviReq(items=[UpdateTsvi(id=i, enable=True) for i in ids])))
    assert answer.job_id and answer.job_id.isdigit()
    assert c.show_job_detail(ShowJobDetailRequest(job_id=answer.job_id)).status in ("WAITING", "RUNNING")
    sim(gateway, "clock", {"advance_ms": 60_000})
    job = c.show_job_detail(ShowJobDetailRequest(job_id=answer.job_id))
    assert job.status == "SUCCESS" and job.sub_jobs_total == 3
    subs = c.list_sub_jobs(ListSubJobsRequest(job_type="UPDATE_SERVER_TSVI", job_id=answer.job_id, limit=100))
    assert subs.count == 3
    assert sorted(s.job_resource_info.resource_id for s in subs.items) == sorted(ids)
    assert all(s.status == "SUCCESS" for s in subs.items)
    ledger = sim(gateway, "ledger")
    assert [e["ids"] for e in ledger if e["applied"]] == [ids]


def test_a_wrong_secret_key_is_401(gateway):
    with pytest.raises(exceptions.ClientRequestException) as caught:
        client(gateway, sk="not-the-secret").list_servers(ListServersRequest(limit=1))
    error = caught.value
    assert error.status_code == 401
    assert error.error_code == "APIGW.0301"
    assert "signature" in error.error_msg
    assert len(error.request_id) == 36
    assert "not-the-secret" not in error.error_msg


@pytest.mark.parametrize("values", [[10, 9], [9, 10], [-1, -2, 30], ["10", "9"]])
def test_repeated_query_values_verify_as_the_sdk_signs_them(gateway, values):
    # The SDK sorts a repeated key's integer values as numbers when it signs (n=9&n=10) but
    # sends them in the caller's order: the gateway must accept both.
    answer = client(gateway).do_http_request(
        "GET",
        "/v1/{project_id}/app-servers",
        query_params=[("limit", 5), ("n", list(values))],
        collection_formats={"n": "multi"},
        response_type="ListServersResponse",
    )
    assert answer.count >= 0
