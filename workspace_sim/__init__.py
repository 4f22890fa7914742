"""A local, wire-faithful simulator of the Huawei Cloud Workspace and IAM APIs.

Stand-alone on purpose: stdlib only, and nothing from `disks/`, so the official SDK, the
dashboard and its tests can all talk to it as if it were the cloud. See README.md.
"""

from workspace_sim.config import SimConfig

__all__ = ["SimConfig"]
