"""Jupyter server extension: build an environment from a folder on this server.

``POST {base_url}jupyterlab-repo2docker/folder-build`` with ``{"path", "name"?, "displayName"?, "force"?}``
asks the service for its upload limits (``GET api/info``), packs the folder within them (in a
worker thread, into a temporary file: memory stays bounded whatever the folder's size), and
uploads it (``POST api/builds/upload``); the service's answer is relayed as it came, so the
panel treats it like any other build. Who calls the service, and where: folder_service.py.

Not under ``{base_url}repo2docker/``: that prefix belongs to jupyter-server-proxy's route to the
service in laptop mode.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import tempfile
from typing import Optional

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.netutil import Resolver

from .folder_pack import CHUNK, PackError, pack_folder
from .folder_request import RequestError, parse_request, resolve_folder
from .folder_service import ServiceError, ServiceTarget, error_from_service, hub_target, limits_from_info, local_target, upload_query

ROUTE = "jupyterlab-repo2docker/folder-build"
INFO_TIMEOUT_S = 30
UPLOAD_TIMEOUT_S = 1800  # a large folder over a slow hub link; the service bounds the build itself
_LOOPBACK_HOSTS = {"", "0.0.0.0", "*", "localhost", "127.0.0.1"}


class _UnixResolver(Resolver):
    """Every host is this socket: the loopback to a Jupyter server that listens on a unix socket."""

    def initialize(self, socket_path: str) -> None:  # type: ignore[override]
        self.socket_path = socket_path

    async def resolve(self, host, port, family=socket.AF_UNSPEC):  # type: ignore[override]
        return [(socket.AF_UNIX, self.socket_path)]


def _loopback_url(serverapp) -> tuple:
    """This server's own address and socket, for the laptop-mode call through its proxy route."""
    base_url = serverapp.base_url if serverapp.base_url.endswith("/") else serverapp.base_url + "/"
    if getattr(serverapp, "sock", ""):
        return "http://localhost" + base_url, serverapp.sock
    scheme = "https" if serverapp.certfile else "http"
    ip = serverapp.ip
    host = "[::1]" if ip == "::" else "127.0.0.1" if ip in _LOOPBACK_HOSTS else f"[{ip}]" if ":" in ip else ip
    return f"{scheme}://{host}:{serverapp.port}{base_url}", None


class FolderBuildHandler(APIHandler):
    auth_resource = "contents"  # what it reads on this server is files; the service checks the build scope
    # self.serverapp (JupyterHandler's, from the tornado settings) gives the loopback address and token.

    def _error(self, status: int, code: str, message: str, field: Optional[str] = None) -> None:
        error = {"code": code, "message": message}
        if field:
            error["field"] = field
        self.set_status(status)
        self.finish(json.dumps({"error": error}))

    def _target(self) -> ServiceTarget:
        hub_auth = getattr(self.identity_provider, "hub_auth", None)
        if hub_auth is not None:
            return hub_target(os.environ, hub_auth.get_token(self))
        url, sock = _loopback_url(self.serverapp)
        token = getattr(self.identity_provider, "token", "") or ""
        return local_target(os.environ, url, token, sock, validate_cert=not self.serverapp.certfile)

    def _client(self, target: ServiceTarget) -> AsyncHTTPClient:
        if target.unix_socket:
            return AsyncHTTPClient(force_instance=True, resolver=_UnixResolver(socket_path=target.unix_socket))
        return AsyncHTTPClient(force_instance=True)

    async def _info(self, client: AsyncHTTPClient, target: ServiceTarget) -> dict:
        request = HTTPRequest(
            target.endpoint("api/info"),
            headers=dict(target.headers, Accept="application/json"),
            request_timeout=INFO_TIMEOUT_S,
            validate_cert=target.validate_cert,
            follow_redirects=False,
        )
        response = await client.fetch(request, raise_error=False)
        if response.code == 599:
            raise ServiceError(502, "service_unreachable", "the repo2docker service cannot be reached")
        if response.code != 200:
            status, body = error_from_service(response.code, response.body or b"")
            raise _Relayed(status, body)
        try:
            return json.loads(response.body)
        except ValueError:
            raise ServiceError(502, "service_error", "the repo2docker service's /api/info is not JSON")

    async def _upload(self, client, target: ServiceTarget, archive, size: int, query: str):
        async def produce(write):
            archive.seek(0)
            while True:
                chunk = archive.read(CHUNK)
                if not chunk:
                    return
                await write(chunk)

        request = HTTPRequest(
            target.endpoint("api/builds/upload") + "?" + query,
            method="POST",
            headers=dict(target.headers, **{"Content-Type": "application/gzip", "Content-Length": str(size), "Accept": "application/json"}),
            body_producer=produce,
            request_timeout=UPLOAD_TIMEOUT_S,
            validate_cert=target.validate_cert,
            follow_redirects=False,
        )
        return await client.fetch(request, raise_error=False)

    @web.authenticated
    @authorized("read")
    async def post(self) -> None:
        try:
            await self._build()
        except (RequestError, ServiceError) as e:
            self._error(e.status, e.code, e.message, e.field)
        except PackError as e:
            # The field at fault is the request's path; the message names the file inside it.
            self._error(e.status, e.code, e.message, "path")
        except _Relayed as e:
            self.set_status(e.status)
            self.finish(json.dumps(e.body))
        except (HTTPClientError, OSError) as e:  # raise_error=False still raises timeouts and refused connections
            self.log.warning("repo2docker service unreachable: %s", e)
            self._error(502, "service_unreachable", "the repo2docker service cannot be reached")

    async def _build(self) -> None:
        request = parse_request(self.request.body)
        root_dir = getattr(self.contents_manager, "root_dir", None)
        if not root_dir:
            raise RequestError(501, "no_root_dir", "this server's contents are not files on its disk")
        folder = resolve_folder(root_dir, request.path, bool(getattr(self.contents_manager, "allow_hidden", False)))
        target = self._target()
        client = self._client(target)
        try:
            limits = limits_from_info(await self._info(client, target))
            with tempfile.TemporaryFile(prefix="repo2docker-folder-") as archive:
                try:
                    result = await asyncio.get_running_loop().run_in_executor(None, pack_folder, folder, archive, limits)
                except OSError as e:  # an unreadable file or directory inside, or no room for the archive
                    where = os.path.relpath(e.filename, folder) if isinstance(e.filename, str) else "the folder"
                    raise PackError(400, "unreadable", f"cannot pack {where!r}: {e.strerror}") from e
                if result.archive_bytes > limits.max_bytes:
                    raise PackError(413, "too_large", f"the packed folder is over {limits.max_bytes} bytes")
                self.log.info(
                    "repo2docker folder %r: %d members, %d bytes, %d packed, %s",
                    request.path, result.files, result.bytes, result.archive_bytes, result.digest,
                )
                query = upload_query(result.digest, request.path, request.name, request.display_name, request.force)
                response = await self._upload(client, target, archive, result.archive_bytes, query)
        finally:
            client.close()
        if response.code == 599:
            raise ServiceError(502, "service_unreachable", "the repo2docker service cannot be reached")
        if response.code >= 300:
            status, body = error_from_service(response.code, response.body or b"")
            raise _Relayed(status, body)
        self.set_status(response.code)
        self.finish(response.body)


class _Relayed(Exception):
    """A refusal from the service, passed on with its own status and error body."""

    def __init__(self, status: int, body: dict):
        super().__init__(status)
        self.status, self.body = status, body


def _jupyter_server_extension_points():
    return [{"module": "jupyterlab_repo2docker.server_extension"}]


def _load_jupyter_server_extension(serverapp) -> None:
    web_app = serverapp.web_app
    route = url_path_join(web_app.settings["base_url"], ROUTE)
    web_app.add_handlers(".*$", [(route, FolderBuildHandler)])
    serverapp.log.info("jupyterlab_repo2docker: folder builds at %s", route)
