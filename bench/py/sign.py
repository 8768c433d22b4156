"""Row 2's Python peer: Huawei's official Signer (huaweicloudsdkcore) on the 20-item PATCH.

Reads {runs, calls} on stdin, checks the vector's Authorization first, then times `runs` runs of
`calls` signs, each on a new SdkRequest as the SDK's client builds one per call. Prints JSON.
"""
import json
import pathlib
import sys
import time
from importlib.metadata import version
from urllib.parse import quote, urlsplit

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

args = json.load(sys.stdin)
vectors = json.loads((pathlib.Path(__file__).resolve().parents[2] / "tests/vectors/signing.json").read_text())
case = next(c for c in vectors["cases"] if c["name"] == "batch-update-tsvi-20-items")
inp, expected = case["input"], case["expected"]
url = urlsplit(inp["url"])
headers = dict(inp["headers"])
signer = Signer(BasicCredentials(inp["ak"], inp["sk"]))


def sign():
    request = SdkRequest(method=inp["method"], schema=url.scheme, host=url.netloc, resource_path=quote(url.path, safe="/%"),
                         query_params=[], header_params={**headers, "X-Sdk-Date": inp["sdk_date"]}, body=inp["body"])
    return signer.sign(request).header_params["Authorization"]


if sign() != expected["authorization"]:
    sys.exit("the official Python Signer does not match the vector")
for _ in range(args["calls"]):  # warm-up
    sign()
runs = []
for _ in range(args["runs"]):
    started = time.perf_counter()
    for _ in range(args["calls"]):
        sign()
    runs.append((time.perf_counter() - started) * 1000)
print(json.dumps({"version": version("huaweicloudsdkcore"), "runs_ms": runs}))
