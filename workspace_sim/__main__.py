"""`python -m workspace_sim`: run the simulator until Ctrl-C or SIGTERM."""

import argparse
import sys
from pathlib import Path

from workspace_sim.config import SimConfig
from workspace_sim.server import SimServer


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    # Wide enough that no default value (the SK, the seed path) is wrapped mid-word.
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=36, width=140)


def parse_args(argv: list[str] | None = None) -> SimConfig:
    defaults = SimConfig()
    parser = argparse.ArgumentParser(
        prog="python -m workspace_sim",
        description="Local simulator of the Huawei Cloud Workspace and IAM APIs.",
        formatter_class=_HelpFormatter,
    )
    add = parser.add_argument
    add("--host", default=defaults.host, help="address to listen on")
    add("--port", type=int, default=defaults.port, help="port to listen on (0: any free port)")
    add("--project-id", default=defaults.project_id, help="the one project this endpoint serves")
    add("--ak", default=defaults.ak, help="access key accepted for SDK-HMAC-SHA256 signing")
    add("--sk", default=defaults.sk, help="secret key of --ak")
    add("--iam-user", default=defaults.iam_user, help="IAM user for POST /v3/auth/tokens")
    add("--iam-password", default=defaults.iam_password, help="password of --iam-user")
    add("--iam-domain", default=defaults.iam_domain, help="account (domain) of --iam-user")
    add("--seed", type=Path, default=defaults.seed_file, help="desktops to start from (JSON)")
    add("--state", type=Path, default=None, help="persist state here; load it at start if present")
    add(
        "--speed",
        type=_positive,
        default=defaults.speed,
        help="job speed factor (2 = twice as fast)",
    )
    add(
        "--quota-volumes",
        type=_quota,
        metavar="N",
        default=defaults.quota_volumes,
        help="how many disks (system and data) the tenant may have; -1: no limit",
    )
    add(
        "--quota-gigabytes",
        type=_quota,
        metavar="GB",
        default=defaults.quota_gigabytes,
        help="how many GB of disk the tenant may have; -1: no limit",
    )
    add("--quiet", action="store_true", help="do not print one line per request")
    args = parser.parse_args(argv)
    return SimConfig(
        host=args.host,
        port=args.port,
        project_id=args.project_id,
        ak=args.ak,
        sk=args.sk,
        iam_user=args.iam_user,
        iam_password=args.iam_password,
        iam_domain=args.iam_domain,
        seed_path=args.seed,
        state_path=args.state,
        speed=args.speed,
        quota_volumes=args.quota_volumes,
        quota_gigabytes=args.quota_gigabytes,
        access_log=not args.quiet,
    )


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def _quota(text: str) -> int:
    value = int(text)
    if value < -1:
        raise argparse.ArgumentTypeError("must be a count of at least 0, or -1 for no limit")
    return value


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    try:
        server = SimServer(config)
    except (OSError, ValueError) as exc:
        print(f"workspace_sim: cannot start: {exc}", file=sys.stderr)
        return 2
    server.serve_until_terminated(
        f"Workspace simulator on http://{config.host}:{server.port} "
        f"(project {config.project_id}, AK {config.ak}, speed {config.speed})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
