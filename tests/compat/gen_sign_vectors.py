"""Generate SDK-HMAC-SHA256 signing test vectors with Huawei's official Python signer.

    python tests/compat/gen_sign_vectors.py > tests/vectors/signing.json

Needs huaweicloudsdkcore 3.1.219 installed (e.g. /tmp/setup/venv/bin/python). No signing code lives here: every value in
"expected" comes from huaweicloudsdkcore.signer.signer.Signer.sign() on an SdkRequest.

What is passed to the SDK, matching what its own client (huaweicloudsdkcore/client.py,
build_future_request) passes:
  * schema/host: the url's scheme and netloc (port included). Signer.sign() sets Host = netloc.
  * resource_path: the url's path, percent-encoded the way the client encodes it
    (each path value goes through quote(v, safe='')). A raw path is encoded here with
    quote(path, safe='/%'); an already-encoded path stays as it is. The signer unquotes
    the path before canonicalising, so raw and encoded forms sign the same.
  * query_params: list of (key, value) tuples that keep their Python types (str/int/bool),
    put through http_utils.sanitize_for_serialization and parameters_to_tuples, with
    list values in 'multi' format (one tuple per element), as Client._parse_query_params does.
  * header_params: dict of the case's headers, plus X-Sdk-Date (fixed, so the signer reuses it)
    and X-Security-Token when there is a token (as Credentials.sign_request adds it).
  * body: the str body; the signer turns it into UTF-8 bytes.
The canonical request is taken from the signer's own _process_canonical_request during sign().
"""
import json
import sys
import uuid
from importlib.metadata import version
from urllib.parse import quote, urlsplit

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdkcore.utils import http_utils

SDK_VERSION = f"huaweicloudsdkcore {version('huaweicloudsdkcore')}"
PROJECT = "0123456789abcdef0123456789abcdef"
HOST = "https://appstream.cn-north-4.myhuaweicloud.com"
AK, SK, DATE = "AKEXAMPLE", "SKEXAMPLE", "20240102T030405Z"
JSON_CT = ["Content-Type", "application/json"]
REF_HEADERS = [JSON_CT, ["User-Agent", "huaweicloud-usdk-python/3.0; test"], ["X-Project-Id", PROJECT]]
TSVI = f"{HOST}/v1/{PROJECT}/app-servers/actions/batch-update-tsvi"
GROUP_PATH = f"{HOST}/v1/{PROJECT}/app-server-groups"

# Signatures given in workspaceapp-api.md section 7.2.
REFERENCE = {
    "reference-batch-update-tsvi": "c8c16bb16b5898e1245a00955182e611af91314ae0938b5dccdb2710f2203c46",
    "reference-list-servers": "78cc75fcaa493694f75d7bc468929655c2b24886735d4c11e8eb5eb5c3b93c19",
}
SAME_SIGNATURE = ["path-unicode-raw", "path-unicode-encoded", "path-unicode-encoded-lowercase-hex"]


def case(name, method, url, query=(), headers=(), body="", ak="AKCASE", sk="SKCASE", token=None, date=DATE):
    return {"name": name, "input": {
        "method": method, "url": url, "query": [list(q) for q in query], "headers": [list(h) for h in headers],
        "body": body, "ak": ak, "sk": sk, "security_token": token, "sdk_date": date}}


def tsvi_body(ids, **dumps_args):
    return json.dumps({"items": [{"id": i, "enable": True} for i in ids]}, **dumps_args)


IDS_20 = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"app-server-{n}")) for n in range(20)]

CASES = [
    case("batch-update-tsvi-20-items", "PATCH", TSVI, headers=[JSON_CT, ["X-Project-Id", PROJECT]],
         body=tsvi_body(IDS_20, separators=(",", ":"))),
    case("reference-batch-update-tsvi", "PATCH", TSVI, headers=REF_HEADERS, body=tsvi_body(["srv-1"]), ak=AK, sk=SK),
    case("reference-list-servers", "GET", f"{HOST}/v1/{PROJECT}/app-servers", headers=REF_HEADERS, ak=AK, sk=SK,
         query=[("limit", 100), ("offset", 0), ("server_name", "a b~*"), ("maintain_status", "true")]),
    case("get-empty-body-no-content-type", "GET", "https://iam.myhuaweicloud.com/v3/projects",
         query=[("name", "cn-north-4")]),
    case("get-no-query", "GET", f"{GROUP_PATH}/sg-123", headers=[JSON_CT, ["X-Project-Id", PROJECT]]),
    case("get-json-content-type-empty-body", "GET", f"{GROUP_PATH}", headers=[JSON_CT], body="",
         query=[("limit", 10)]),
    case("query-repeated-unsorted-array-int-bool", "GET", f"{HOST}/v1/{PROJECT}/app-servers", headers=[JSON_CT],
         query=[("tag", "b"), ("limit", 10), ("tag", ["zeta", "alpha", "b2"]), ("marker", "m"),
                ("enabled", True), ("disabled", False), ("n", [10, 9, 100]), ("tag", "a")]),
    case("query-empty-values-empty-header", "GET", f"{HOST}/v1/{PROJECT}/app-servers",
         query=[("server_name", ""), ("a", ""), ("limit", 5)], headers=[JSON_CT, ["X-Empty", ""]]),
    case("reserved-chars-path-and-query", "GET",
         f"{GROUP_PATH}/a%20b%2A~%2F%3F%26%3D%2B%25%3A%40%21%27%28/x",
         query=[("k e*y~/?&=+%:@!'(", "v a*l~/?&=+%:@!'("), ("plus", "1+1=2"), ("pct", "100%")],
         headers=[JSON_CT]),
    case("unicode-path-and-query-raw-sort", "GET", f"{GROUP_PATH}/grüße-中文-😀",
         query=[("name", "grüße 中文 😀"), ("名", "x"), ("z", "y"), ("~", "tilde")], headers=[JSON_CT]),
    case("path-unicode-raw", "GET", f"{GROUP_PATH}/my group:ü@x", headers=[JSON_CT]),
    case("path-unicode-encoded", "GET", f"{GROUP_PATH}/my%20group%3A%C3%BC%40x", headers=[JSON_CT]),
    case("path-unicode-encoded-lowercase-hex", "GET", f"{GROUP_PATH}/my%20group%3a%c3%bc%40x", headers=[JSON_CT]),
    case("path-trailing-slash", "GET", f"{HOST}/v1/{PROJECT}/app-servers/", headers=[JSON_CT]),
    case("headers-mixed-case-trimmed", "PATCH", TSVI, body=tsvi_body(["srv-1"]),
         headers=[["content-TYPE", "application/json"], ["X-Custom-MiXeD", "  inner  spaces kept \t"],
                  ["x-lower", " v "]]),
    case("header-with-underscore-unsigned", "PATCH", TSVI, body=tsvi_body(["srv-1"]),
         headers=[JSON_CT, ["X_Custom_Header", "not signed"], ["X-Project-Id", PROJECT]]),
    case("http-host-with-port", "PATCH", f"http://127.0.0.1:8780/v1/{PROJECT}/app-servers/actions/batch-update-tsvi",
         headers=[JSON_CT, ["X-Project-Id", PROJECT]], body=tsvi_body(["srv-1", "srv-2"])),
    case("https-host-with-port", "GET", f"https://workspace.example.com:8443/v1/{PROJECT}/app-servers",
         query=[("limit", 100), ("offset", 200)], headers=[JSON_CT]),
    case("security-token", "PATCH", TSVI, headers=[JSON_CT, ["X-Project-Id", PROJECT]], body=tsvi_body(["srv-1"]),
         ak="AKTEMP", sk="SKTEMP", token="tok/EN+with==chars"),
    case("text-plain-unsigned-payload", "POST", f"{GROUP_PATH}/sg-1/notes",
         headers=[["Content-Type", "text/plain; charset=utf-8"]], body="hello ü world"),
    case("octet-stream-empty-body", "PUT", f"{GROUP_PATH}/sg-1/blob",
         headers=[["Content-Type", "application/octet-stream"]]),
    case("json-charset-content-type", "POST", f"{GROUP_PATH}", body='{"name":"g"}',
         headers=[["Content-Type", "application/json;charset=UTF-8"]]),
    case("quirk-lowercase-content-type-text-plain", "POST", f"{GROUP_PATH}/sg-1/notes",
         headers=[["content-type", "text/plain"]], body="hello"),
]


class RecordingSigner(Signer):
    """The official Signer; only remembers the canonical request it computes."""
    canonical_request = None

    def _process_canonical_request(self, request, signed_headers):
        self.canonical_request = super()._process_canonical_request(request, signed_headers)
        return self.canonical_request


def sign(inp):
    url = urlsplit(inp["url"])
    query = http_utils.sanitize_for_serialization([tuple(q) for q in inp["query"]])
    query = http_utils.parameters_to_tuples(query, {k: "multi" for k, v in query if isinstance(v, list)})
    headers = dict(inp["headers"])
    headers["X-Sdk-Date"] = inp["sdk_date"]
    if inp["security_token"] is not None:
        headers["X-Security-Token"] = inp["security_token"]
    before = set(headers)
    request = SdkRequest(method=inp["method"], schema=url.scheme, host=url.netloc,
                         resource_path=quote(url.path, safe="/%"), query_params=query,
                         header_params=headers, body=inp["body"])
    creds = BasicCredentials(inp["ak"], inp["sk"])
    signer = RecordingSigner(creds)
    signed = signer.sign(request)
    auth = signed.header_params["Authorization"]
    fields = dict(part.split("=", 1) for part in auth.split(" ", 1)[1].split(", "))
    added = [[k, v] for k, v in signed.header_params.items()
             if k not in before and k not in ("Host", "X-Sdk-Date", "Authorization")]
    return {
        "signed_headers": fields["SignedHeaders"],
        "signature": fields["Signature"],
        "authorization": auth,
        "canonical_query": Signer.process_canonical_query_string(signed),
        "canonical_request": signer.canonical_request,
        "added_headers": added,
    }


def main():
    for c in CASES:
        c["expected"] = sign(c["input"])
    sigs = {c["name"]: c["expected"]["signature"] for c in CASES}
    for name, want in REFERENCE.items():
        if sigs[name] != want:
            print(f"WARNING: {name}: SDK gives {sigs[name]}, reference says {want}", file=sys.stderr)
    if len({sigs[n] for n in SAME_SIGNATURE}) != 1:
        print(f"WARNING: raw and encoded paths sign differently: {SAME_SIGNATURE}", file=sys.stderr)
    out = {"generator": "tests/compat/gen_sign_vectors.py", "sdk": SDK_VERSION, "cases": CASES}
    json.dump(out, sys.stdout, indent=2, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
