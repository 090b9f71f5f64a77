"""The folder-build request, the folder it names (folder_request.py), and where and with which token
the upload goes (folder_service.py): pure functions, no server."""

import json
import os
from urllib.parse import parse_qsl

import pytest

from jupyterlab_repo2docker.folder_pack import Limits
from jupyterlab_repo2docker.folder_request import RequestError, parse_request, resolve_folder
from jupyterlab_repo2docker.folder_service import (
    ServiceError,
    error_from_service,
    hub_target,
    limits_from_info,
    local_target,
    upload_query,
)


def refused(fn, *args):
    with pytest.raises((RequestError, ServiceError)) as e:
        fn(*args)
    return e.value.status, e.value.code, e.value.field


# --- the request body -------------------------------------------------------------------------


def test_a_good_body_is_parsed_and_its_path_cleaned():
    request = parse_request(json.dumps({"path": "/projects/./demo/", "name": "demo", "displayName": "Demo", "force": True}).encode())
    assert (request.path, request.name, request.display_name, request.force) == ("projects/demo", "demo", "Demo", True)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"path": "a/../../etc"}, "path"),
        ({"path": ".."}, "path"),
        ({"path": "a\\b"}, "path"),
        ({"path": "a\nb"}, "path"),
        ({"path": 3}, "path"),
        ({}, "path"),
        ({"path": "a", "name": "Bad Name"}, "name"),
        ({"path": "a", "name": "-x"}, "name"),
        ({"path": "a", "displayName": "x" * 256}, "displayName"),
        ({"path": "a", "force": "yes"}, "force"),
        ({"path": "a", "repo": "https://example.org/x"}, "repo"),
    ],
)
def test_bad_bodies_get_a_400_naming_the_field(body, field):
    status, _, named = refused(parse_request, json.dumps(body).encode())
    assert (status, named) == (400, field)


def test_malformed_json_and_huge_bodies_are_refused():
    assert refused(parse_request, b"{nope")[:2] == (400, "bad_json")
    assert refused(parse_request, b"[]")[:2] == (400, "bad_body")
    assert refused(parse_request, b" " * (65 * 1024))[:2] == (413, "body_too_large")


# --- the folder inside root_dir ---------------------------------------------------------------


@pytest.fixture
def root(tmp_path):
    (tmp_path / "root" / "proj").mkdir(parents=True)
    (tmp_path / "root" / ".hidden" / "inner").mkdir(parents=True)
    (tmp_path / "root" / "file.txt").write_text("")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(str(tmp_path / "elsewhere"), tmp_path / "root" / "out")
    os.symlink(".hidden/inner", tmp_path / "root" / "sneaky")
    return tmp_path / "root"


def test_a_folder_inside_root_dir_resolves_to_its_real_path(root):
    assert resolve_folder(str(root), "proj", False) == os.path.realpath(root / "proj")
    assert resolve_folder(str(root), "", False) == os.path.realpath(root)


@pytest.mark.parametrize(
    "path, status, code",
    [
        ("out", 400, "outside_root"),  # a symlink leaving root_dir
        (".hidden/inner", 400, "hidden_path"),
        ("sneaky", 400, "hidden_path"),  # a plain name leading into a hidden folder
        ("file.txt", 400, "not_a_folder"),
        ("missing", 404, "not_found"),
    ],
)
def test_folders_outside_root_dir_hidden_or_missing_are_refused(root, path, status, code):
    assert refused(resolve_folder, str(root), path, False) == (status, code, "path")


def test_hidden_folders_are_allowed_when_the_contents_manager_allows_them(root):
    assert resolve_folder(str(root), ".hidden/inner", True).endswith(os.path.join(".hidden", "inner"))


# --- where the upload goes, with which token --------------------------------------------------


def test_under_a_hub_the_requests_own_token_goes_to_the_configured_service():
    target = hub_target({"REPO2DOCKER_SERVICE_URL": "http://127.0.0.1:10101/services/repo2docker"}, "user-oauth-token")
    assert target.url == "http://127.0.0.1:10101/services/repo2docker/"
    assert target.endpoint("api/info") == "http://127.0.0.1:10101/services/repo2docker/api/info"
    assert dict(target.headers) == {"Authorization": "token user-oauth-token"}
    assert target.mode == "jupyterhub"


def test_under_a_hub_without_an_override_the_public_url_and_base_url_place_the_service():
    env = {"JUPYTERHUB_PUBLIC_HUB_URL": "https://hub.example.org/jh/hub/", "JUPYTERHUB_BASE_URL": "/jh/", "JUPYTERHUB_API_TOKEN": "server-token"}
    target = hub_target(env, "user-oauth-token")
    assert target.url == "https://hub.example.org/jh/services/repo2docker/"
    assert "server-token" not in json.dumps(dict(target.headers))  # the server's own token is never used


def test_under_a_hub_with_no_address_or_no_token_the_answer_says_what_to_set():
    status, code, _ = refused(hub_target, {"JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api"}, "t")
    assert (status, code) == (503, "service_url_unknown")
    assert refused(hub_target, {"REPO2DOCKER_SERVICE_URL": "http://127.0.0.1:1/"}, None)[:2] == (401, "no_token")
    assert refused(hub_target, {"REPO2DOCKER_SERVICE_URL": "file:///etc/passwd"}, "t")[:2] == (500, "bad_service_url")


def test_on_a_laptop_the_upload_loops_back_through_the_servers_proxy_route():
    target = local_target({}, "http://127.0.0.1:8888/lab-base/", "server-token")
    assert target.endpoint("api/builds/upload") == "http://127.0.0.1:8888/lab-base/repo2docker/api/builds/upload"
    assert dict(target.headers) == {"Authorization": "token server-token"}
    override = local_target({"REPO2DOCKER_SERVICE_URL": "http://127.0.0.1:9/", "REPO2DOCKER_SERVICE_TOKEN": "s"}, "http://x/", "server-token")
    assert (override.url, dict(override.headers)) == ("http://127.0.0.1:9/", {"Authorization": "token s"})


def test_limits_come_from_api_info_or_uploads_are_unsupported():
    info = {"limits": {"uploadMaxBytes": 52428800, "uploadMaxFiles": 1000, "maxConcurrentBuilds": 2}}
    assert limits_from_info(info) == Limits(max_bytes=52428800, max_files=1000)
    for bad in [{}, {"limits": {}}, {"limits": {"uploadMaxBytes": 5}}, {"limits": {"uploadMaxBytes": True, "uploadMaxFiles": 3}}, []]:
        assert refused(limits_from_info, bad)[:2] == (501, "uploads_unsupported")


def test_the_upload_query_carries_digest_path_and_names_percent_encoded():
    query = upload_query("sha256:" + "a" * 64, "projects/été & co", "demo", "Démo", True)
    assert parse_qsl(query) == [
        ("digest", "sha256:" + "a" * 64), ("path", "projects/été & co"), ("name", "demo"), ("displayName", "Démo"), ("force", "true")
    ]
    assert parse_qsl(upload_query("sha256:" + "b" * 64, "p")) == [("digest", "sha256:" + "b" * 64), ("path", "p")]


def test_service_refusals_are_relayed_with_their_own_body_and_others_become_502():
    body = {"error": {"code": "forbidden", "message": "missing custom:repo2docker:build"}}
    assert error_from_service(403, json.dumps(body).encode()) == (403, body)
    assert error_from_service(500, b"<html>")[0] == 502
    assert error_from_service(404, b"not json") == (404, {"error": {"code": "service_refused", "message": "the repo2docker service answered 404"}})
