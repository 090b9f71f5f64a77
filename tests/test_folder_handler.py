"""The folder-build handler in a real ``jupyter server`` (a subprocess on a loopback port, with the
extension from this source tree): it packs a folder and uploads it to a stand-in service
(tests/folder_receiver.py), the HTTP boundary. Two servers: one told the service's URL, and one in
laptop mode whose upload loops back through jupyter-server-proxy to a unix socket, as with the real
service."""

import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from folder_receiver import LIMITS, start_tcp
from test_folder_pack import reference_digest

REPO = Path(__file__).resolve().parent.parent
TOKEN = "jupyter-test-token"
SERVICE_TOKEN = "service-test-token"
ROUTE = "jupyterlab-repo2docker/folder-build"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, path, body=None, token=TOKEN, method="POST"):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


def start_server(tmp, root, env_extra, config_extra=None):
    config_dir = tmp / "config"
    config_dir.mkdir()
    # Only what these tests need: the extension, and the proxy for laptop mode (JupyterLab itself
    # and the language servers would only slow the start).
    extensions = {"jupyterlab_repo2docker.server_extension": True, "jupyterlab": False, "jupyter_lsp": False}
    config = {"ServerApp": {"jpserver_extensions": extensions}}
    config.update(config_extra or {})
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(config))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REPO2DOCKER_", "JUPYTERHUB_"))}
    env.update(
        PYTHONPATH=f"{REPO}{os.pathsep}{REPO / 'tests'}",
        JUPYTER_CONFIG_DIR=str(config_dir),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTER_DATA_DIR=str(tmp / "data"),
        **env_extra,
    )
    log = open(tmp / "server.log", "wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(tmp),
    )
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("jupyter server exited:\n" + (tmp / "server.log").read_text())
        try:
            if call(base, "api/status", method="GET")[0] == 200:
                return process, base
        except OSError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError("jupyter server did not start:\n" + (tmp / "server.log").read_text())


def stop(process):
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    proj = root / "proj"
    (proj / "notebooks").mkdir(parents=True)
    (proj / "requirements.txt").write_text("numpy\n")
    (proj / "notebooks" / "a.ipynb").write_text("{}")
    (proj / ".gitignore").write_text("*.log\n")
    (proj / ".dockerignore").write_text("scratch\n")
    (proj / "debug.log").write_text("noise")
    (proj / "scratch").mkdir()
    (proj / "scratch" / "big.bin").write_bytes(b"x" * 1000)
    hostile = root / "hostile"
    hostile.mkdir()
    (hostile / "ok.txt").write_text("")
    os.symlink("/etc", hostile / "etc")
    many = root / "many"
    many.mkdir()
    for i in range(LIMITS["uploadMaxFiles"] + 1):
        (many / f"f{i}").write_text("")
    return root


@pytest.fixture(scope="module")
def service():
    server = start_tcp()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory, root, service):
    url = f"http://127.0.0.1:{service.server_address[1]}/services/repo2docker/"
    process, base = start_server(
        tmp_path_factory.mktemp("server"), root, {"REPO2DOCKER_SERVICE_URL": url, "REPO2DOCKER_SERVICE_TOKEN": SERVICE_TOKEN}
    )
    yield base
    stop(process)


@pytest.fixture
def fresh(service):
    service.calls.clear()
    service.limits = dict(LIMITS)
    service.upload_answer = (202, {"id": "b-1", "phase": "queued"})
    return service


def uploads(service):
    return [c for c in service.calls if c["method"] == "POST"]


def test_a_folder_is_packed_uploaded_and_the_services_answer_relayed(jupyter, fresh):
    status, body = call(jupyter, ROUTE, {"path": "proj", "name": "demo", "displayName": "Démo"})
    assert (status, body) == (202, {"id": "b-1", "phase": "queued"})
    info, upload = fresh.calls
    assert (info["method"], urlsplit(info["path"]).path) == ("GET", "/services/repo2docker/api/info")
    assert info["headers"]["authorization"] == f"token {SERVICE_TOKEN}"
    assert urlsplit(upload["path"]).path == "/services/repo2docker/api/builds/upload"
    assert upload["headers"]["content-type"] == "application/gzip"
    assert upload["headers"]["authorization"] == f"token {SERVICE_TOKEN}"
    assert int(upload["headers"]["content-length"]) == len(upload["body"])
    tar = tarfile.open(fileobj=io.BytesIO(upload["body"]), mode="r:gz")
    assert sorted(tar.getnames()) == [".dockerignore", ".gitignore", "notebooks", "notebooks/a.ipynb", "requirements.txt"]
    assert tar.extractfile("requirements.txt").read() == b"numpy\n"
    query = parse_qs(urlsplit(upload["path"]).query)
    assert query == {"digest": [reference_digest(tar)], "path": ["proj"], "name": ["demo"], "displayName": ["Démo"]}


def test_the_same_folder_uploads_with_the_same_digest(jupyter, fresh):
    call(jupyter, ROUTE, {"path": "proj"})
    call(jupyter, ROUTE, {"path": "/proj/"})
    first, second = (parse_qs(urlsplit(u["path"]).query)["digest"] for u in uploads(fresh))
    assert first == second


def test_without_a_jupyter_login_nothing_is_read_or_sent(jupyter, fresh):
    status, _ = call(jupyter, ROUTE, {"path": "proj"}, token=None)
    assert status in (401, 403)
    assert fresh.calls == []


@pytest.mark.parametrize("path, status, code", [("../..", 400, "bad_path"), ("nope", 404, "not_found"), ("proj/requirements.txt", 400, "not_a_folder")])
def test_bad_paths_are_refused_before_the_service_is_asked(jupyter, fresh, path, status, code):
    answer_status, body = call(jupyter, ROUTE, {"path": path})
    assert (answer_status, body["error"]["code"], body["error"]["field"]) == (status, code, "path")
    assert fresh.calls == []


def test_a_folder_with_a_link_to_etc_is_refused_and_nothing_is_uploaded(jupyter, fresh):
    status, body = call(jupyter, ROUTE, {"path": "hostile"})
    assert (status, body["error"]["code"], body["error"]["field"]) == (400, "link_outside", "path")
    assert "'etc'" in body["error"]["message"]
    assert uploads(fresh) == []


def test_a_folder_over_the_services_file_limit_gets_413_and_no_upload(jupyter, fresh):
    status, body = call(jupyter, ROUTE, {"path": "many"})
    assert (status, body["error"]["code"]) == (413, "too_many_files")
    assert str(LIMITS["uploadMaxFiles"]) in body["error"]["message"]
    assert uploads(fresh) == []


def test_a_folder_over_the_services_byte_limit_gets_413_and_no_upload(jupyter, fresh):
    fresh.limits = {"uploadMaxBytes": 100, "uploadMaxFiles": 100}
    status, body = call(jupyter, ROUTE, {"path": "proj"})
    assert (status, body["error"]["code"]) == (413, "too_large")
    assert uploads(fresh) == []


def test_a_service_that_announces_no_upload_limits_gets_501(jupyter, fresh):
    fresh.limits = {"maxConcurrentBuilds": 2}
    status, body = call(jupyter, ROUTE, {"path": "proj"})
    assert (status, body["error"]["code"]) == (501, "uploads_unsupported")
    assert uploads(fresh) == []


def test_a_service_refusal_is_relayed_with_its_status_and_message(jupyter, fresh):
    refusal = {"error": {"code": "missing_scope", "message": "needs custom:repo2docker:build"}}
    fresh.upload_answer = (403, refusal)
    assert call(jupyter, ROUTE, {"path": "proj"}) == (403, refusal)


def test_unknown_fields_are_refused_naming_the_field(jupyter, fresh):
    status, body = call(jupyter, ROUTE, {"path": "proj", "repo": "https://example.org/x"})
    assert (status, body["error"]["field"]) == (400, "repo")
    assert fresh.calls == []


# --- laptop mode: through jupyter-server-proxy, to a unix socket -------------------------------


@pytest.fixture(scope="module")
def laptop(tmp_path_factory, root):
    tmp = tmp_path_factory.mktemp("laptop")
    records = tmp / "records"
    records.mkdir()
    # The same shape as the package's own entry point (server_proxy.py): a command on a unix
    # socket that jupyter-server-proxy creates; configured servers come before entry points.
    proxy = {
        "ServerProxy": {
            "servers": {
                "repo2docker": {
                    "command": [sys.executable, str(REPO / "tests" / "folder_receiver.py"), "{unix_socket}", str(records)],
                    "unix_socket": True,
                    "timeout": 30,
                    "absolute_url": False,
                    "launcher_entry": {"enabled": False},
                }
            }
        }
    }
    process, base = start_server(tmp, root, {}, proxy)
    yield base, records
    stop(process)


def test_in_laptop_mode_the_upload_goes_through_the_servers_proxy_to_its_socket(laptop):
    base, records = laptop
    status, body = call(base, ROUTE, {"path": "proj", "name": "demo"})
    assert (status, body) == (202, {"id": "b-1", "phase": "queued", "source": {"kind": "folder"}})
    calls = [json.loads(p.read_text()) for p in sorted(records.glob("*.json"), key=lambda p: int(p.stem))]
    upload = [c for c in calls if c["method"] == "POST"]
    assert [urlsplit(c["path"]).path for c in calls if c["method"] == "GET"][-1] == "/api/info"
    assert len(upload) == 1 and urlsplit(upload[0]["path"]).path == "/api/builds/upload"
    number = next(p.stem for p in records.glob("*.json") if json.loads(p.read_text())["method"] == "POST")
    tar = tarfile.open(records / f"{number}.body", mode="r:gz")
    assert "requirements.txt" in tar.getnames() and "debug.log" not in tar.getnames()
    assert parse_qs(urlsplit(upload[0]["path"]).query)["digest"] == [reference_digest(tar)]
