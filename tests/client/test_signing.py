"""Our SDK-HMAC-SHA256 signatures must equal huaweicloudsdkcore's, byte for byte."""

import json
import random
from datetime import datetime
from urllib.parse import quote, urlsplit

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkworkspace.v2 import WorkspaceClient as SdkWorkspaceClient
from huaweicloudsdkworkspace.v2 import model as sdk

from disks.client import VolumeSpec, WorkspaceClient
from disks.client.auth import AkSkAuth
from disks.client.signing import canonical_query

from .capture import FIXED_NOW, capturing_session

AK = "SIGNTESTAK0000000001"
SK = "sign-test-sk-0123456789abcdefghijklmnop"
PROJECT_ID = "0a1b2c3d4e5f4a5b8c9d0e1f2a3b4c5d"
SECURITY_TOKEN = "temporary-token-" + "x" * 40
UA = "workspace-disk-admin/0.1"

ENDPOINTS = [
    "https://workspace.ap-southeast-1.myhuaweicloud.com",
    "https://workspace.ap-southeast-1.myhuaweicloud.com:443",
    "http://127.0.0.1:8001",
    "http://localhost:18443",
]
# Unreserved, reserved, spaces, percent signs, unicode (two- to four-byte UTF-8).
ALPHABET = "abcXYZ019-_.~ !*'();:@&=+$,/?#[]%\"<>ü€日本🙂"


def sdk_sign(method, endpoint, path, query, body, date, security_token=None) -> SdkRequest:
    """Sign with huaweicloudsdkcore exactly as its client would build the request."""
    request = SdkRequest(
        method=method,
        schema=urlsplit(endpoint).scheme,
        host=urlsplit(endpoint).netloc,
        resource_path=path,
        query_params=list(query),
        header_params={"User-Agent": UA, "Content-Type": "application/json", "X-Sdk-Date": date},
        body=body,
    )
    credentials = BasicCredentials(AK, SK, PROJECT_ID)
    if security_token:
        credentials = credentials.with_security_token(security_token)
    return credentials.sign_request(request)


def our_sign(method, endpoint, path, query, body, security_token=None) -> requests.PreparedRequest:
    """Sign with our AkSkAuth, the headers set as WorkspaceClient sets them."""
    query_string = canonical_query(query)
    url = endpoint + path + (f"?{query_string}" if query_string else "")
    headers = {"Content-Type": "application/json", "User-Agent": UA}
    headers["Host"] = urlsplit(endpoint).netloc
    request = requests.Request(method, url, headers=headers, data=body).prepare()
    auth = AkSkAuth(AK, SK, PROJECT_ID, security_token=security_token, clock=lambda: FIXED_NOW)
    return auth(request)


def random_text(rng: random.Random, min_len=0, max_len=8) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(min_len, max_len)))


def random_segment(rng: random.Random) -> str:
    """Return a path segment; never "." or "..", which requests drops before sending."""
    segment = random_text(rng, 1, 6)
    return segment if segment not in (".", "..") else random_segment(rng)


def random_case(seed: int):
    rng = random.Random(seed)
    method = rng.choice(["GET", "GET", "POST", "PUT", "DELETE"])
    segments = [random_segment(rng) for _ in range(rng.randint(0, 3))]
    path = f"/v2/{PROJECT_ID}" + "".join("/" + quote(s, safe="") for s in segments)
    keys = [random_text(rng, 1, 5) for _ in range(rng.randint(1, 3))]
    query = [(rng.choice(keys), random_text(rng)) for _ in range(rng.randint(0, 5))]
    body = None
    if method != "GET" or rng.random() < 0.1:
        payload = {random_text(rng, 1): random_text(rng) for _ in range(rng.randint(0, 3))}
        body = rng.choice([None, "", json.dumps(payload), json.dumps(payload, ensure_ascii=False)])
    endpoint = rng.choice(ENDPOINTS)
    return method, endpoint, path, query, body, rng.choice([None, SECURITY_TOKEN])


FIXED_CASES = [
    ("GET", ENDPOINTS[0], f"/v2/{PROJECT_ID}/desktops/detail", [], None, None),
    (
        "GET",
        ENDPOINTS[2],
        f"/v2/{PROJECT_ID}/desktops/detail",
        [("desktop_id", "b"), ("limit", 100), ("desktop_id", "a"), ("offset", 0)],
        None,
        None,
    ),
    (
        "GET",
        ENDPOINTS[1],
        f"/v2/{PROJECT_ID}/desktops/detail",
        [("user_name", "Zoë Müller"), ("computer_name", "a+b&c=d/e?f g"), ("flag", True)],
        None,
        SECURITY_TOKEN,
    ),
    (
        "GET",
        ENDPOINTS[3],
        f"/v2/{PROJECT_ID}/workspace-jobs/{quote('j 1/ü', safe='')}",
        [],
        None,
        None,
    ),
    (
        "POST",
        ENDPOINTS[2],
        f"/v2/{PROJECT_ID}/desktops/d-1/volumes",
        [],
        json.dumps({"volumes": [{"type": "SAS", "size": 80}]}),
        None,
    ),
    ("POST", ENDPOINTS[0], f"/v2/{PROJECT_ID}/volumes", [], "", SECURITY_TOKEN),
    ("POST", ENDPOINTS[0], f"/v2/{PROJECT_ID}/volumes", [], None, None),
    ("POST", ENDPOINTS[3], f"/v2/{PROJECT_ID}/volumes", [], '{"name": "日本 ü"}', None),
]


@pytest.mark.parametrize("case", FIXED_CASES + [random_case(seed) for seed in range(300)])
def test_authorization_equals_the_sdk_signers(case):
    method, endpoint, path, query, body, token = case
    ours = our_sign(method, endpoint, path, query, body, token)
    theirs = sdk_sign(method, endpoint, path, query, body, ours.headers["X-Sdk-Date"], token)

    assert ours.headers["Authorization"] == theirs.header_params["Authorization"]
    assert urlsplit(ours.url).netloc == theirs.host
    assert ours.path_url == theirs.uri
    for name in ("X-Project-Id", "X-Security-Token", "Host", "X-Sdk-Date"):
        assert ours.headers.get(name) == theirs.header_params.get(name)


def test_it_signs_the_usual_header_set():
    request = our_sign("GET", ENDPOINTS[2], f"/v2/{PROJECT_ID}/desktops/detail", [], None)

    assert request.headers["X-Sdk-Date"] == "20260820T093015Z"
    assert request.headers["Host"] == "127.0.0.1:8001"
    assert request.headers["Authorization"].startswith(
        f"SDK-HMAC-SHA256 Access={AK}, "
        "SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, Signature="
    )


@pytest.fixture
def frozen_sdk_clock(monkeypatch):
    from huaweicloudsdkcore.signer import signer

    class FrozenDatetime(datetime):
        @classmethod
        def utcnow(cls):
            return FIXED_NOW.replace(tzinfo=None)

    monkeypatch.setattr(signer, "datetime", FrozenDatetime)


def sdk_client(endpoint):
    config = HttpConfig.get_default_config()
    config.retry_times = 0
    client = (
        SdkWorkspaceClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(AK, SK, PROJECT_ID))
        .with_endpoints([endpoint])
        .build()
    )
    session, adapter = capturing_session()
    client.get_http_client()._session = session
    return client, adapter


def our_client(endpoint, user_agent):
    session, adapter = capturing_session()
    client = WorkspaceClient(
        endpoint,
        PROJECT_ID,
        ak=AK,
        sk=SK,
        session=session,
        clock=lambda: FIXED_NOW,
        user_agent=user_agent,
    )
    return client, adapter


VOLUMES = [VolumeSpec("SAS", 80), VolumeSpec("GPSSD2", 100, iops=3000, throughput=125)]
SDK_VOLUMES = [
    sdk.Volume(type="SAS", size=80),
    sdk.Volume(type="GPSSD2", size=100, iops=3000, throughput=125),
]
OPERATIONS = [
    (
        lambda c: c.add_desktop_volumes("d 1/ü", VOLUMES, enterprise_project_id="0"),
        lambda s: s.add_desktop_volumes(
            sdk.AddDesktopVolumesRequest(
                desktop_id="d 1/ü",
                body=sdk.AddVolumesReq(enterprise_project_id="0", volumes=SDK_VOLUMES),
            )
        ),
    ),
    (
        lambda c: c.add_volumes({"d-1": VOLUMES[:1], "d-2": VOLUMES}),
        lambda s: s.add_volumes(
            sdk.AddVolumesRequest(
                body=sdk.AddDesktopsVolumesReq(
                    desktop_volumes=[
                        sdk.AddDesktopVolumesReq(desktop_id="d-1", volumes=SDK_VOLUMES[:1]),
                        sdk.AddDesktopVolumesReq(desktop_id="d-2", volumes=SDK_VOLUMES),
                    ]
                )
            )
        ),
    ),
    (
        lambda c: c.show_job("j-1"),
        lambda s: s.show_job(sdk.ShowJobRequest(job_id="j-1")),
    ),
    (
        lambda c: c.list_ita_sub_jobs(job_id="j-1", status="RUNNING", limit=10, offset=0),
        lambda s: s.list_ita_sub_jobs(
            sdk.ListItaSubJobsRequest(job_id="j-1", status="RUNNING", limit=10, offset=0)
        ),
    ),
    (
        lambda c: c.show_desktop_detail("d-1"),
        lambda s: s.show_desktop_detail(sdk.ShowDesktopDetailRequest(desktop_id="d-1")),
    ),
    (
        lambda c: c.list_desktops_detail(
            offset=5,
            limit=50,
            user_name="Zoë Müller",
            status="ACTIVE",
            desktop_ids=["d-2", "d-1"],
            computer_name="pc 01&x",
        ),
        lambda s: s.list_desktops_detail(
            sdk.ListDesktopsDetailRequest(
                offset=5,
                limit=50,
                user_name="Zoë Müller",
                status="ACTIVE",
                desktop_id=["d-2", "d-1"],
                computer_name="pc 01&x",
            )
        ),
    ),
    (
        lambda c: c.list_volume_product_info(availability_zone="az-1", volume_type=["SAS", "SSD"]),
        lambda s: s.list_volume_product_info(
            sdk.ListVolumeProductInfoRequest(availability_zone="az-1", volume_type="SAS,SSD")
        ),
    ),
]


@pytest.mark.parametrize("endpoint", [ENDPOINTS[0], ENDPOINTS[2]])
@pytest.mark.parametrize("ours_call, sdk_call", OPERATIONS)
def test_each_operation_sends_what_the_official_sdk_sends(
    frozen_sdk_clock, endpoint, ours_call, sdk_call
):
    official, sdk_capture = sdk_client(endpoint)
    sdk_call(official)
    (theirs,) = sdk_capture.requests
    # The SDK's User-Agent names the OS and an app id; send the same one so it signs alike.
    client, our_capture = our_client(endpoint, theirs.headers["User-Agent"])
    ours_call(client)
    (ours,) = our_capture.requests

    assert (ours.method, ours.url, ours.body) == (theirs.method, theirs.url, theirs.body)
    for name in ("Authorization", "Host", "X-Sdk-Date", "X-Project-Id", "Content-Type"):
        assert ours.headers[name] == theirs.headers[name]
