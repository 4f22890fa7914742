"""Error bodies and codes: the few the API documents, and the simulator's own.

The real error table is only partly public (docs/workspace-api.md §6.3), so every refusal the
reference does not pin to a code gets a `WKS.SIM*` code here. README.md lists them all.
"""

# Documented by the API (docs/workspace-api.md §6.3).
EMPTY_BODY = "WKS.0001"
DISKS_BEING_ADDED = "WKS.0407"
AUTH_FAILED = "APIGW.0301"
# API Gateway's answer for a path it does not route; not in the reference.
NO_SUCH_API = "APIGW.0101"

# The simulator's own.
MALFORMED_BODY = "WKS.SIM0100"
INVALID_FIELD = "WKS.SIM0101"
INVALID_SIZE = "WKS.SIM0102"
UNSUPPORTED_TYPE = "WKS.SIM0103"
INVALID_COUNT = "WKS.SIM0104"
DISK_LIMIT = "WKS.SIM0105"
INVALID_QOS = "WKS.SIM0106"
INVALID_QUERY = "WKS.SIM0107"
DUPLICATE_DESKTOP = "WKS.SIM0108"
SIZE_NOT_LARGER = "WKS.SIM0109"
NOT_A_DATA_DISK = "WKS.SIM0110"
DUPLICATE_VOLUME = "WKS.SIM0111"
DESKTOP_NOT_FOUND = "WKS.SIM0201"
JOB_NOT_FOUND = "WKS.SIM0202"
VOLUME_NOT_FOUND = "WKS.SIM0203"
DESKTOP_NOT_ACTIVE = "WKS.SIM0301"
DESKTOP_BUSY = "WKS.SIM0302"
JOB_ALREADY_ENDED = "WKS.SIM0303"
DISKS_BEING_CHANGED = "WKS.SIM0304"
PROJECT_MISMATCH = "WKS.SIM0401"
METHOD_NOT_ALLOWED = "WKS.SIM0402"
BAD_HTTP = "WKS.SIM0403"
# 403 as the reference says the cloud answers a request past quota (docs/workspace-api.md §13);
# the cloud's own code for it is not public.
QUOTA_EXCEEDED = "WKS.SIM0501"
INJECTED_FAULT = "WKS.SIM0900"
JOB_FAILED = "WKS.SIM0901"
INTERNAL = "WKS.SIM0999"


class ApiError(Exception):
    """A refusal, carried up to the dispatcher and written as the Workspace error body."""

    def __init__(self, status: int, code: str, msg: str, detail: str = "") -> None:
        super().__init__(f"{status} {code}: {msg}")
        self.status = status
        self.code = code
        self.msg = msg
        self.detail = detail

    def body(self) -> dict:
        return {"error_code": self.code, "error_msg": self.msg, "error_detail": self.detail}


def bad_request(code: str, msg: str, detail: str = "") -> ApiError:
    return ApiError(400, code, msg, detail)


def auth_failed(reason: str) -> ApiError:
    return ApiError(401, AUTH_FAILED, f"Incorrect IAM authentication information: {reason}")
