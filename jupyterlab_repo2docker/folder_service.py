"""Where the Jupyter server sends a packed folder, with whose token, and how.

Under JupyterHub the token is the one the request to this server was authenticated with (header,
``?token=`` or the hub's OAuth cookie), as the singleuser server's ``hub_auth.get_token`` finds it:
the hub issued it to this user for this server, with at most ``c.Spawner.oauth_client_allowed_scopes``
- the very token JupyterLab already calls the service with, so a folder build needs no permission the
panel does not. ``$JUPYTERHUB_API_TOKEN`` is NOT used: it is the server's own token, whose scopes
are ``Spawner.server_token_scopes`` (by default the ``server`` role: ``users:activity!user`` and
``access:servers!server``, no access to services), and on a shared server it would build under the
owner's name for whoever asked.

In laptop mode the service runs behind jupyter-server-proxy on this very server (``{base_url}repo2docker/``,
a unix socket only this user can reach): the request loops back through the proxy with the server's
own token, which starts the service if it is not running yet.

``REPO2DOCKER_SERVICE_URL`` overrides the address in both modes (under a hub, e.g. the service's own
``http://127.0.0.1:10101/services/repo2docker/``, or the proxy's internal address from a container).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple
from urllib.parse import urlencode, urlsplit

from .folder_pack import Limits

DEFAULT_SERVICE_NAME = "repo2docker"


class ServiceError(Exception):
    """The service cannot be reached or asked; ``status`` is what this server answers."""

    def __init__(self, status: int, code: str, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


@dataclass(frozen=True)
class ServiceTarget:
    url: str  # the service's base URL, ending in "/"
    headers: Mapping[str, str] = field(default_factory=dict)
    mode: str = "local"  # "jupyterhub" or "local"
    unix_socket: Optional[str] = None  # when the loopback goes to a Jupyter server on a socket
    validate_cert: bool = True

    def endpoint(self, path: str) -> str:
        return self.url + path.lstrip("/")


def _base(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ServiceError(500, "bad_service_url", "REPO2DOCKER_SERVICE_URL must be an http:// or https:// URL")
    return url if url.endswith("/") else url + "/"


def hub_target(env: Mapping[str, str], request_token: Optional[str]) -> ServiceTarget:
    """The service under JupyterHub, called with the token the current request came with."""
    if not request_token:
        raise ServiceError(401, "no_token", "this request carries no JupyterHub token to call the service with")
    headers = {"Authorization": f"token {request_token}"}
    if env.get("REPO2DOCKER_SERVICE_URL"):
        return ServiceTarget(_base(env["REPO2DOCKER_SERVICE_URL"]), headers, "jupyterhub")
    public_hub = env.get("JUPYTERHUB_PUBLIC_HUB_URL", "")
    parts = urlsplit(public_hub)
    if parts.scheme in ("http", "https") and parts.netloc:
        # The service sits behind the hub's proxy at {base_url}services/{name}/, beside the hub.
        base_url = env.get("JUPYTERHUB_BASE_URL") or "/"
        base_url = base_url if base_url.endswith("/") else base_url + "/"
        name = env.get("REPO2DOCKER_SERVICE_NAME") or DEFAULT_SERVICE_NAME
        return ServiceTarget(f"{parts.scheme}://{parts.netloc}{base_url}services/{name}/", headers, "jupyterhub")
    raise ServiceError(
        503,
        "service_url_unknown",
        "the hub gives no public URL: set REPO2DOCKER_SERVICE_URL in c.Spawner.environment "
        "(e.g. http://127.0.0.1:10101/services/repo2docker/)",
    )


def local_target(
    env: Mapping[str, str],
    server_url: str,
    server_token: str,
    unix_socket: Optional[str] = None,
    validate_cert: bool = True,
) -> ServiceTarget:
    """The service in laptop mode: through this server's own proxy route, unless overridden."""
    if env.get("REPO2DOCKER_SERVICE_URL"):
        token = env.get("REPO2DOCKER_SERVICE_TOKEN")
        headers = {"Authorization": f"token {token}"} if token else {}
        return ServiceTarget(_base(env["REPO2DOCKER_SERVICE_URL"]), headers, "local")
    headers = {"Authorization": f"token {server_token}"} if server_token else {}
    return ServiceTarget(_base(server_url) + "repo2docker/", headers, "local", unix_socket, validate_cert)


def limits_from_info(info: object) -> Limits:
    """The upload limits the service announces in ``/api/info``; 501 when it announces none."""
    limits = info.get("limits") if isinstance(info, dict) else None
    max_bytes = limits.get("uploadMaxBytes") if isinstance(limits, dict) else None
    max_files = limits.get("uploadMaxFiles") if isinstance(limits, dict) else None
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (max_bytes, max_files)):
        raise ServiceError(
            501, "uploads_unsupported", "the repo2docker service does not accept folder uploads (no upload limits in /api/info)"
        )
    return Limits(max_bytes=max_bytes, max_files=max_files)


def upload_query(
    digest: str, path: str, name: Optional[str] = None, display_name: Optional[str] = None, force: bool = False
) -> str:
    """The query string of ``POST api/builds/upload`` (wire format: /work/coord/folder-design.md)."""
    params = [("digest", digest), ("path", path)]
    if name:
        params.append(("name", name))
    if display_name:
        params.append(("displayName", display_name))
    if force:
        params.append(("force", "true"))
    return urlencode(params)


def error_from_service(status: int, body: bytes) -> Tuple[int, dict]:
    """Relay a service refusal as this server's answer: its own error JSON when it sent one."""
    try:
        parsed = json.loads(body)
        if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict) and "message" in parsed["error"]:
            return status, parsed
    except ValueError:
        pass
    if status >= 500:
        return 502, {"error": {"code": "service_error", "message": f"the repo2docker service answered {status}"}}
    return status, {"error": {"code": "service_refused", "message": f"the repo2docker service answered {status}"}}

