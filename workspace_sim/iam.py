"""IAM: password tokens (`POST /v3/auth/tokens`, docs/workspace-api.md §7) and their check.

IAM answers errors in its own shape, `{"error": {"code", "message", "title"}}`, not the
Workspace one, so this module builds its responses itself.
"""

import hashlib
import json
import secrets

from workspace_sim import timefmt
from workspace_sim.errors import auth_failed
from workspace_sim.state import SimState
from workspace_sim.wire import Request, Response, base_url, json_response

TITLES = {400: "Bad Request", 401: "Unauthorized"}


def create_user_token_by_password(state: SimState, request: Request) -> Response:
    """KeystoneCreateUserTokenByPassword: 201 with the token in X-Subject-Token."""
    auth = _password_auth(request.body)
    if auth is None:
        return iam_error(400, "The request body is invalid.")
    user, password, domain, scope = auth
    config = state.config
    # Compare all three so a wrong user name is no quicker to discover than a wrong password.
    matches = [
        secrets.compare_digest(user.encode(), config.iam_user.encode()),
        secrets.compare_digest(password.encode(), config.iam_password.encode()),
        secrets.compare_digest(domain.encode(), config.iam_domain.encode()),
    ]
    if not all(matches):
        return iam_error(401, "The username or password is wrong.")
    project = scope.get("project")
    if project is not None and project.get("id") not in (None, config.project_id):
        return iam_error(401, "The project does not exist or you have no access to it.")
    token, record = _issue(state, project)
    body = _token_body(
        state, record, with_catalog="nocatalog" not in request.query, url=base_url(request, config)
    )
    return json_response(201, {"token": body}, {"X-Subject-Token": token})


def check_token(state: SimState, token: str) -> None:
    """Raise the gateway's 401 unless `token` is one this IAM issued, unexpired, project-scoped."""
    record = state.tokens.get(token)
    if record is None:
        raise auth_failed("decrypt token fail")
    if record["expires_at"] <= state.clock():
        raise auth_failed("the token has expired")
    if record["project_id"] != state.config.project_id:
        raise auth_failed("the token is not scoped to this project")


def iam_error(status: int, message: str) -> Response:
    title = TITLES.get(status, "Error")
    return json_response(status, {"error": {"code": status, "message": message, "title": title}})


def _password_auth(body: bytes) -> tuple[str, str, str, dict] | None:
    """Return (user, password, domain, scope) from a password-auth body, or None."""
    try:
        auth = json.loads(body)["auth"]
        identity = auth["identity"]
        user = identity["password"]["user"]
        fields = (user["name"], user["password"], user["domain"]["name"])
        scope = auth.get("scope") or {}
        valid = (
            isinstance(identity["methods"], list)
            and "password" in identity["methods"]
            and all(isinstance(value, str) for value in fields)
            and isinstance(scope, dict)
            and any(isinstance(scope.get(key), dict) for key in ("project", "domain"))
        )
    except (ValueError, RecursionError, KeyError, TypeError):
        return None
    return (*fields, scope) if valid else None


def _issue(state: SimState, project: dict | None) -> tuple[str, dict]:
    config = state.config
    now = state.clock()
    token = "MIIsim" + secrets.token_urlsafe(96)
    record = {
        "issued_at": now,
        "expires_at": now + config.token_ttl_seconds,
        "project_id": config.project_id if project is not None else None,
        "project_name": (project or {}).get("name") or config.region,
    }
    with state.lock:
        # Forget expired tokens here, so a long demo run does not accumulate them.
        for old in [key for key, kept in state.tokens.items() if kept["expires_at"] <= now]:
            del state.tokens[old]
        state.tokens[token] = record
        state.save()
    return token, record


def _token_body(state: SimState, record: dict, *, with_catalog: bool, url: str) -> dict:
    config = state.config
    domain = {"id": _stable_id("domain", config.iam_domain), "name": config.iam_domain}
    body = {
        "expires_at": timefmt.iam_time(record["expires_at"]),
        "issued_at": timefmt.iam_time(record["issued_at"]),
        "methods": ["password"],
        "user": {
            "id": _stable_id("user", config.iam_user),
            "name": config.iam_user,
            "domain": domain,
            "password_expires_at": "",
        },
        "roles": [{"id": _stable_id("role", "workspace_adm"), "name": "workspace_adm"}],
    }
    if record["project_id"]:
        body["project"] = {
            "id": config.project_id,
            "name": record["project_name"],
            "domain": domain,
        }
    else:
        body["domain"] = domain
    if with_catalog:
        endpoint = {"id": _stable_id("endpoint", url), "interface": "public", "url": url}
        endpoint |= {"region": config.region, "region_id": config.region}
        body["catalog"] = [
            {
                "id": _stable_id("service", "workspace"),
                "name": "workspace",
                "type": "workspace",
                "endpoints": [endpoint],
            }
        ]
    return body


def _stable_id(kind: str, name: str) -> str:
    return hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()[:32]
