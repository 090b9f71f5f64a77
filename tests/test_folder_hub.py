"""Under a real JupyterHub (its proxy, its OAuth, a real single-user server with the extension from
this source tree): a folder build goes from the user's server to the service at the hub's
/services/repo2docker/ with the user's own token - not the server's. The service is the stand-in
receiver (tests/folder_receiver.py) registered as an external hub service: the boundary."""

import json
import os
import shutil
import subprocess
import sys
import tarfile
import io
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from folder_receiver import start_tcp
from test_folder_handler import free_port

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
ADMIN_TOKEN = "folder-hub-test-admin-token"
# The devDependency that scripts/start-hub.sh uses, else one on PATH.
_LOCAL_CHP = REPO / "node_modules" / ".bin" / "configurable-http-proxy"
CHP = str(_LOCAL_CHP) if _LOCAL_CHP.exists() else shutil.which("configurable-http-proxy")

pytestmark = pytest.mark.skipif(
    not CHP or not (VENV_BIN / "jupyterhub").exists(), reason="needs jupyterhub and configurable-http-proxy"
)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect to the login page is an answer here, not something to follow


_OPENER = urllib.request.build_opener(_NoRedirect)


def request(url, token=None, body=None, method=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"))
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"token {token}")
    try:
        with _OPENER.open(req, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


CONFIG = """
import json, os
env = os.environ
d = env["T_HUB_DIR"]
c.JupyterHub.bind_url = f"http://127.0.0.1:{env['T_PORT']}"
c.JupyterHub.public_url = f"http://127.0.0.1:{env['T_PORT']}/"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{env['T_HUB_PORT']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env['T_PROXY_PORT']}"
c.ConfigurableHTTPProxy.command = [env["T_CHP"]]
c.ConfigurableHTTPProxy.pid_file = os.path.join(d, "proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(d, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(d, "cookie_secret")
c.JupyterHub.pid_file = os.path.join(d, "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {"alice"}
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(d, "home", "{username}")
c.Spawner.cmd = [env["T_SINGLEUSER"]]
c.Spawner.args = json.loads(env["T_ARGS"])
c.Spawner.environment = json.loads(env["T_SPAWN_ENV"])
c.Spawner.http_timeout = 60
c.JupyterHub.custom_scopes = {"custom:repo2docker:build": {"description": "Build images."}}
c.JupyterHub.services = [
    {"name": "repo2docker", "url": env["T_SERVICE_URL"]},
    {"name": "test-admin", "api_token": env["T_ADMIN_TOKEN"]},
]
c.JupyterHub.load_roles = [
    {"name": "builders", "scopes": ["access:services!service=repo2docker", "custom:repo2docker:build"], "users": ["alice"]},
    {"name": "test-admin", "scopes": ["admin:users", "admin:servers", "tokens"], "services": ["test-admin"]},
]
c.Spawner.oauth_client_allowed_scopes = ["access:services!service=repo2docker", "custom:repo2docker:build"]
"""


@pytest.fixture(scope="module")
def service():
    server = start_tcp()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def hub(tmp_path_factory, service):
    d = tmp_path_factory.mktemp("hub")
    home = d / "home" / "alice"
    (home / "proj" / "binder").mkdir(parents=True)
    (home / "proj" / "binder" / "requirements.txt").write_text("pandas\n")
    (home / "proj" / "analysis.ipynb").write_text("{}")
    config_dir = d / "jupyter-config"
    config_dir.mkdir()
    (config_dir / "jupyter_server_config.json").write_text(json.dumps({
        "ServerApp": {"jpserver_extensions": {"jupyterlab_repo2docker.server_extension": True, "jupyterlab": False, "jupyter_lsp": False}}
    }))
    (d / "config.py").write_text(CONFIG)
    port = free_port()
    spawn_env = {"PYTHONPATH": str(REPO), "JUPYTER_CONFIG_DIR": str(config_dir), "JUPYTER_RUNTIME_DIR": str(d / "runtime")}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REPO2DOCKER_", "JUPYTERHUB_"))}
    env.update(
        T_HUB_DIR=str(d), T_PORT=str(port), T_HUB_PORT=str(free_port()), T_PROXY_PORT=str(free_port()), T_CHP=CHP,
        T_SINGLEUSER=str(VENV_BIN / "jupyterhub-singleuser"), T_ARGS=json.dumps(["--allow-root"] if os.geteuid() == 0 else []),
        T_SPAWN_ENV=json.dumps(spawn_env), T_SERVICE_URL=f"http://127.0.0.1:{service.server_address[1]}",
        T_ADMIN_TOKEN=ADMIN_TOKEN,
    )
    log = open(d / "hub.log", "wb")
    process = subprocess.Popen([str(VENV_BIN / "jupyterhub"), "-f", str(d / "config.py")], cwd=str(d), env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("hub did not start:\n" + (d / "hub.log").read_text()[-4000:])
            try:
                if request(base + "hub/api/")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        assert request(base + "hub/api/users/alice", ADMIN_TOKEN)[0] == 200
        status, _ = request(base + "hub/api/users/alice/server", ADMIN_TOKEN, {})
        assert status in (201, 202), status
        deadline = time.monotonic() + 90
        while not request(base + "hub/api/users/alice", ADMIN_TOKEN)[1]["servers"].get("", {}).get("ready"):
            if time.monotonic() > deadline:
                raise RuntimeError("alice's server did not start:\n" + (d / "hub.log").read_text()[-4000:])
            time.sleep(0.3)
        yield base, d
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_the_upload_reaches_the_service_through_the_hub_with_the_users_token(hub, service):
    base, _ = hub
    status, created = request(base + "hub/api/users/alice/tokens", ADMIN_TOKEN, {"note": "folder test"})
    assert status == 201
    alice_token = created["token"]
    service.calls.clear()

    status, body = request(base + "user/alice/jupyterlab-repo2docker/folder-build", alice_token, {"path": "proj", "name": "analysis"})
    assert (status, body) == (202, {"id": "b-1", "phase": "queued", "source": {"kind": "folder"}})

    info, upload = service.calls
    # Through the hub's proxy at /services/repo2docker/ (derived from the hub's public URL).
    assert urlsplit(info["path"]).path == "/services/repo2docker/api/info"
    assert urlsplit(upload["path"]).path == "/services/repo2docker/api/builds/upload"
    assert parse_qs(urlsplit(upload["path"]).query)["path"] == ["proj"]
    tar = tarfile.open(fileobj=io.BytesIO(upload["body"]), mode="r:gz")
    assert sorted(tar.getnames()) == ["analysis.ipynb", "binder", "binder/requirements.txt"]
    # The very token the request came with, which the hub says is alice's, with the service scopes.
    assert info["headers"]["authorization"] == upload["headers"]["authorization"] == f"token {alice_token}"
    status, who = request(base + "hub/api/user", alice_token)
    assert status == 200 and who["name"] == "alice"
    assert {"access:services!service=repo2docker", "custom:repo2docker:build"} <= set(who["scopes"])


def test_without_a_hub_token_the_users_server_sends_nothing(hub, service):
    base, _ = hub
    service.calls.clear()
    status, _ = request(base + "user/alice/jupyterlab-repo2docker/folder-build", None, {"path": "proj"})
    assert status in (302, 401, 403)
    assert service.calls == []
