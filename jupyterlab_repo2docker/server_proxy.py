"""jupyter-server-proxy entry point: runs the service for a single user's ``jupyter lab``.

The service listens on a unix socket that jupyter-server-proxy creates in a directory only this
user can enter, so the Jupyter server's own login is what guards it; the one local user holds
every scope. Nothing here is needed under JupyterHub, where the hub runs the service.
"""
import getpass
import os
import sys
from pathlib import Path

from .node import service_argv


def _repo2docker_command() -> str:
    # Prefer the repo2docker installed beside this Python (same venv), which need not be on PATH.
    beside = Path(sys.executable).parent / "repo2docker"
    return str(beside) if beside.exists() else "repo2docker"


def _command(unix_socket: str) -> list:
    return service_argv("--socket", unix_socket)


def setup_repo2docker() -> dict:
    environment = {
        "REPO2DOCKER_COMMAND": _repo2docker_command(),
        "USER": os.environ.get("USER") or getpass.getuser(),
    }
    return {
        "command": _command,
        "unix_socket": True,
        "environment": environment,
        "timeout": 30,
        "absolute_url": False,
        "launcher_entry": {"enabled": False},
        "new_browser_tab": False,
    }
