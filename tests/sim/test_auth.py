"""Authentication: AK/SK signatures checked as the SDK makes them, and IAM password tokens."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdkworkspace.v2 import ListDesktopsDetailRequest

from tests.sim.conftest import signed, v2
from workspace_sim import signing

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


def password_body(sim, *, password=None, scope=None):
    config = sim.config
    user = {
        "name": config.iam_user,
        "password": password or config.iam_password,
        "domain": {"name": config.iam_domain},
    }
    return {
        "auth": {
            "identity": {"methods": ["password"], "password": {"user": user}},
            "scope": scope or {"project": {"name": config.region}},
        }
    }


def get_token(sim) -> str:
    response = requests.post(f"{sim.url}/v3/auth/tokens", json=password_body(sim), timeout=5)
    assert response.status_code == 201
    return response.headers["X-Subject-Token"]


def test_iam_issues_a_24_hour_token_in_x_subject_token(sim):
    response = requests.post(f"{sim.url}/v3/auth/tokens", json=password_body(sim), timeout=5)

    assert response.status_code == 201
    assert response.headers["X-Subject-Token"]
    token = response.json()["token"]
    issued = datetime.strptime(token["issued_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    expires = datetime.strptime(token["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert expires - issued == timedelta(hours=24)
    assert token["project"]["id"] == sim.config.project_id
    assert token["catalog"][0]["endpoints"][0]["url"] == sim.url


def test_a_token_authenticates_workspace_calls(sim):
    token = get_token(sim)

    response = requests.get(v2(sim, "/desktops/detail"), headers={"X-Auth-Token": token}, timeout=5)

    assert response.status_code == 200
    assert response.json()["total_count"] == len(sim.state.desktops)
    assert sim.requests_log("ListDesktopsDetail")[-1]["auth"] == "token"


def test_a_wrong_password_gets_the_iam_error_body(sim):
    body = password_body(sim, password="wrong")

    response = requests.post(f"{sim.url}/v3/auth/tokens", json=body, timeout=5)

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": 401,
            "message": "The username or password is wrong.",
            "title": "Unauthorized",
        }
    }
    assert "X-Subject-Token" not in response.headers
    assert sim.requests_log()[-1]["auth_ok"] is False


def test_an_invalid_iam_body_is_a_400_in_iam_shape(sim):
    response = requests.post(f"{sim.url}/v3/auth/tokens", data=b"{not json", timeout=5)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 400


def test_an_expired_token_is_refused(sim, clock):
    token = get_token(sim)
    clock.advance(24 * 3600 + 1)

    response = requests.get(v2(sim, "/desktops/detail"), headers={"X-Auth-Token": token}, timeout=5)

    assert response.status_code == 401
    assert response.json()["error_code"] == "APIGW.0301"


def test_a_token_it_did_not_issue_is_refused(sim):
    response = requests.get(
        v2(sim, "/desktops/detail"), headers={"X-Auth-Token": "MIIforged"}, timeout=5
    )

    assert response.status_code == 401
    assert response.json()["error_code"] == "APIGW.0301"


def test_a_domain_scoped_token_cannot_call_project_apis(sim):
    body = password_body(sim, scope={"domain": {"name": sim.config.iam_domain}})
    token = requests.post(f"{sim.url}/v3/auth/tokens", json=body, timeout=5).headers[
        "X-Subject-Token"
    ]

    response = requests.get(v2(sim, "/desktops/detail"), headers={"X-Auth-Token": token}, timeout=5)

    assert response.status_code == 401


def test_a_call_without_credentials_is_refused(sim):
    response = requests.get(v2(sim, "/volume/products"), timeout=5)

    assert response.status_code == 401
    assert response.json()["error_code"] == "APIGW.0301"
    assert response.json()["error_msg"].startswith("Incorrect IAM authentication information")
    assert sim.requests_log()[-1] | {"seq": 0, "time": "", "duration_ms": 0} == {
        "seq": 0,
        "time": "",
        "duration_ms": 0,
        "method": "GET",
        "path": f"/v2/{sim.config.project_id}/volume/products",
        "query": "",
        "operation": "ListVolumeProductInfo",
        "auth": "none",
        "auth_ok": False,
        "status": 401,
        "fault": None,
    }


def test_a_body_changed_after_signing_is_refused(sim):
    url = v2(sim, "/volumes")
    headers = signing.sign("POST", url, ak=sim.config.ak, sk=sim.config.sk, body=b"{}")

    response = requests.post(url, headers=headers, data=b'{"x": 1}', timeout=5)

    assert response.status_code == 401


def test_an_unknown_access_key_is_refused(sim):
    url = v2(sim, "/volume/products")
    headers = signing.sign("GET", url, ak="SOMEONEELSE", sk=sim.config.sk)

    response = requests.get(url, headers=headers, timeout=5)

    assert response.status_code == 401
    assert "ak not exist" in response.json()["error_msg"]


def test_a_signature_dated_in_the_future_is_refused(sim):
    url = v2(sim, "/volume/products")
    later = datetime.now(UTC) + timedelta(minutes=16)
    headers = signing.sign("GET", url, ak=sim.config.ak, sk=sim.config.sk, when=later)

    assert requests.get(url, headers=headers, timeout=5).status_code == 401


def test_unsigned_payload_and_a_security_token_are_accepted(sim):
    url = v2(sim, "/volume/products")
    extra = {"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD", "X-Security-Token": "temporary"}
    headers = signing.sign("GET", url, ak=sim.config.ak, sk=sim.config.sk, headers=extra)

    assert requests.get(url, headers=headers, timeout=5).status_code == 200


def test_another_project_is_forbidden(sim):
    url = f"{sim.url}/v2/0123456789abcdef0123456789abcdef/volume/products"

    response = signed(sim, "GET", url)

    assert response.status_code == 403
    assert response.json()["error_code"] == "WKS.SIM0401"


def test_the_sdk_signs_awkward_queries_the_way_the_simulator_checks_them(sim, sdk):
    request = ListDesktopsDetailRequest(
        computer_name="Ü name/with+symbols&=",
        desktop_id=["b-id", "a-id", "a id"],
        user_names=["zoe", "alice.wong"],
        limit=5,
    )

    assert sdk.list_desktops_detail(request).total_count == 0
    assert sim.requests_log()[-1]["auth_ok"] is True


def test_sign_matches_the_sdk_signer():
    when = "20260102T030405Z"
    request = SdkRequest(
        method="GET",
        schema="http",
        host="127.0.0.1:8001",
        resource_path="/v2/p/desktops/detail",
        query_params=[("desktop_id", "b"), ("desktop_id", "a"), ("computer_name", "A B")],
        header_params={"Content-Type": "application/json", "X-Sdk-Date": when},
        body="",
    )
    sdk_signed = Signer(BasicCredentials("AK", "SK", "p")).sign(request)

    ours = signing.sign(
        "GET",
        sdk_signed.url,
        ak="AK",
        sk="SK",
        headers={"Content-Type": "application/json"},
        when=datetime.strptime(when, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC),
    )

    assert ours["Authorization"] == sdk_signed.header_params["Authorization"]
