"""The spawner helpers' output (jupyterlab_repo2docker/spawner.py), with the service faked at the
HTTP boundary. The real DockerSpawner path runs end to end in service/test/integration/launch.test.ts."""

import asyncio
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from tornado import web

from jupyterlab_repo2docker.spawner import PROFILE_SLUG, EnvironmentImages, ServiceError

TOKEN = "spawner-secret-token"


def image(name, owner, shared=False, display=None):
    return {"name": name, "owner": owner, "shared": shared, "displayName": display or name.split("/")[-1].split(":")[0]}


CATALOG = [
    image("r2d-alice/ok:abc", "alice", display="ok"),
    image("r2d-bob/private:def", "bob", display="private"),
    image("r2d-shared/course:123", "admin", shared=True, display="course"),
    image("r2d-alice/plots:456", "alice", display="plots"),
]


class FakeService:
    """The service's GET /api/images at the boundary: records calls, answers a fixed listing."""

    def __init__(self, images=CATALOG, status=200, body=None):
        self.images, self.status, self.body, self.calls = images, status, body, []

    async def __call__(self, url, headers, timeout):
        self.calls.append((url, dict(headers)))
        if self.body is not None:
            return self.status, self.body
        return self.status, json.dumps({"images": self.images}).encode()


def spawner(user, user_options=None):
    return SimpleNamespace(user=SimpleNamespace(name=user), user_options=user_options or {}, log=logging.getLogger("test"))


def helper(fake, **kwargs):
    return EnvironmentImages(url="http://127.0.0.1:10101/services/repo2docker/", token=TOKEN, fetch=fake, **kwargs)


def run(coroutine):
    return asyncio.run(coroutine)


def test_lists_the_users_own_images_then_the_shared_ones_with_the_helpers_token():
    fake = FakeService()
    names = [i["name"] for i in run(helper(fake).images_for("alice"))]
    assert names == ["r2d-alice/ok:abc", "r2d-alice/plots:456", "r2d-shared/course:123"]
    url, headers = fake.calls[0]
    assert url == "http://127.0.0.1:10101/services/repo2docker/api/images?usableBy=alice&groups="
    assert headers["Authorization"] == f"token {TOKEN}"


# Images alice shared (issue 14): with course-101, with everyone; and one she keeps to herself.
SHARED_CATALOG = [
    {**image("r2d-alice/course:aaa", "alice"), "sharing": {"visibility": "groups", "groups": ["course-101"]}},
    {**image("r2d-alice/open:bbb", "alice"), "sharing": {"visibility": "everyone", "groups": []}},
    {**image("r2d-alice/mine:ccc", "alice"), "sharing": {"visibility": "owner", "groups": []}},
    {**image("r2d-bob/own:ddd", "bob"), "sharing": {"visibility": "owner", "groups": []}},
]


def test_asks_for_the_spawning_users_groups_from_the_hubs_user_model():
    fake = FakeService(images=SHARED_CATALOG)
    groups = [SimpleNamespace(name="course-101"), SimpleNamespace(name="a b,c")]
    hub_user = SimpleNamespace(name="bob", groups=groups)
    bob = SimpleNamespace(user=hub_user, user_options={"image": "r2d-alice/course:aaa"}, log=logging.getLogger("test"))
    environments = helper(fake)
    run(environments.pre_spawn_hook(bob))
    url = fake.calls[0][0]
    # Sorted, comma-joined, percent-encoded: a group name cannot add a query parameter.
    assert url.endswith("/api/images?usableBy=bob&groups=a%20b%2Cc%2Ccourse-101"), url
    assert sorted(environments.allowed_images(bob)) == ["r2d-alice/course:aaa", "r2d-alice/open:bbb", "r2d-bob/own:ddd"]


def test_offers_what_was_shared_with_the_users_groups_after_their_own_and_nothing_else():
    fake = FakeService(images=SHARED_CATALOG)
    bob = [i["name"] for i in run(helper(fake).images_for("bob", ["course-101"]))]
    assert bob == ["r2d-bob/own:ddd", "r2d-alice/course:aaa", "r2d-alice/open:bbb"]
    # dave is in no group: only what alice shared with everyone; never her own-only image, even
    # when the service (here a fake that answers everything) lists it.
    dave = [i["name"] for i in run(helper(fake).images_for("dave", []))]
    assert dave == ["r2d-alice/open:bbb"]
    dave_spawner = SimpleNamespace(user=SimpleNamespace(name="dave", groups=[]), log=logging.getLogger("t"))
    form = run(helper(fake).options_form(dave_spawner))
    assert "open (shared by alice)" in form and "mine" not in form and "course" not in form


def test_never_offers_another_users_private_image_and_can_leave_out_shared_ones():
    names = [i["name"] for i in run(helper(FakeService(), include_shared=False).images_for("carol"))]
    assert names == []
    bob = [i["name"] for i in run(helper(FakeService()).images_for("bob"))]
    assert "r2d-alice/ok:abc" not in bob and bob == ["r2d-bob/private:def", "r2d-shared/course:123"]


def test_service_entry_url_is_read_at_call_time_with_the_hubs_prefix():
    entry = {"name": "repo2docker", "url": "http://127.0.0.1:10101"}
    fake = FakeService()
    environments = EnvironmentImages(service=entry, token=TOKEN, base_url="/jhub/", fetch=fake)
    entry["url"] = "http://127.0.0.1:20202"  # e.g. a later config file moves the service
    run(environments.images_for("alice"))
    assert fake.calls[0][0] == "http://127.0.0.1:20202/jhub/services/repo2docker/api/images?usableBy=alice&groups="


def test_refuses_to_be_made_without_a_token_or_with_two_addresses():
    with pytest.raises(ValueError, match="token"):
        EnvironmentImages(url="http://127.0.0.1:1/", token="")
    with pytest.raises(ValueError, match="exactly one"):
        EnvironmentImages(url="http://127.0.0.1:1/", service={"name": "x", "url": "http://127.0.0.1:1"}, token=TOKEN)
    assert TOKEN not in repr(EnvironmentImages(url="http://127.0.0.1:1/", token=TOKEN))


def test_service_errors_name_the_status_and_message_but_not_the_token():
    fake = FakeService(status=403, body=json.dumps({"error": {"code": "missing_scope", "message": "your token lacks X"}}).encode())
    with pytest.raises(ServiceError) as raised:
        run(helper(fake).images_for("alice"))
    assert "403" in str(raised.value) and "your token lacks X" in str(raised.value)
    assert TOKEN not in str(raised.value)


# ---- DockerSpawner ---------------------------------------------------------------------------


def test_dockerspawner_allowed_images_are_what_this_start_fetched_keyed_by_image_name():
    environments = helper(FakeService())
    alice = spawner("alice", {"image": "r2d-alice/ok:abc"})
    run(environments.pre_spawn_hook(alice))
    assert environments.allowed_images(alice) == {
        "r2d-alice/ok:abc": "r2d-alice/ok:abc",
        "r2d-alice/plots:456": "r2d-alice/plots:456",
        "r2d-shared/course:123": "r2d-shared/course:123",
    }


def test_dockerspawner_allows_nothing_when_the_hook_did_not_run_or_no_image_was_asked():
    fake = FakeService()
    environments = helper(fake)
    assert environments.allowed_images(spawner("alice")) == {}
    plain = spawner("alice")
    run(environments.pre_spawn_hook(plain))
    assert environments.allowed_images(plain) == {}
    assert fake.calls == [], "a start with the default image does not ask the service"


def test_dockerspawner_start_without_a_choice_gets_the_configured_image_not_the_last_choice():
    environments = helper(FakeService())
    alice = spawner("alice", {"image": "r2d-alice/ok:abc"})
    alice.image = "quay.io/jupyterhub/singleuser:6.1"  # the configured default
    run(environments.pre_spawn_hook(alice))
    alice.image = "r2d-alice/ok:abc"  # what DockerSpawner.start() keeps after checking the choice
    alice.user_options = {}
    run(environments.pre_spawn_hook(alice))
    assert alice.image == "quay.io/jupyterhub/singleuser:6.1"


def test_dockerspawner_rechecks_at_every_start():
    fake = FakeService()
    environments = helper(fake)
    alice = spawner("alice", {"image": "r2d-alice/ok:abc"})
    run(environments.pre_spawn_hook(alice))
    fake.images = [i for i in CATALOG if i["name"] != "r2d-alice/ok:abc"]  # she deleted it
    run(environments.pre_spawn_hook(alice))
    assert "r2d-alice/ok:abc" not in environments.allowed_images(alice)
    assert len(fake.calls) == 2


def test_dockerspawner_start_fails_with_503_when_the_service_cannot_be_asked():
    environments = helper(FakeService(status=502, body=b"bad gateway"))
    with pytest.raises(web.HTTPError) as raised:
        run(environments.pre_spawn_hook(spawner("alice", {"image": "r2d-alice/ok:abc"})))
    assert raised.value.status_code == 503
    assert "502" in raised.value.log_message


def test_dockerspawner_check_allowed_refuses_another_users_image_with_400():
    dockerspawner = pytest.importorskip("dockerspawner")
    environments = helper(FakeService())
    bob = spawner("bob", {"image": "r2d-alice/ok:abc"})
    run(environments.pre_spawn_hook(bob))
    # DockerSpawner's own check (its methods, unbound) on a spawner whose allowed_images is ours.
    cls = dockerspawner.DockerSpawner
    bob.allowed_images = environments.allowed_images
    bob._get_allowed_images = lambda: cls._get_allowed_images(bob)
    bob._validate_allowed_images = lambda proposal: proposal["value"]
    with pytest.raises(web.HTTPError) as raised:
        run(cls.check_allowed(bob, "r2d-alice/ok:abc"))
    assert raised.value.status_code == 400
    assert "not in allowed list" in raised.value.log_message
    assert run(cls.check_allowed(bob, "r2d-bob/private:def")) == "r2d-bob/private:def"


def test_options_form_offers_the_users_images_escaped_and_nothing_when_there_are_none():
    evil = image('r2d-alice/x:1', "alice", display='<script>alert("x")</script>')
    form = run(helper(FakeService(images=[evil, *CATALOG])).options_form(spawner("alice")))
    assert 'name="image"' in form
    assert '<option value="r2d-alice/ok:abc">ok</option>' in form
    assert "course (shared)" in form
    assert "<script>" not in form and "&lt;script&gt;" in form
    assert "r2d-bob/private:def" not in form
    assert run(helper(FakeService(images=[])).options_form(spawner("alice"))) == ""
    assert run(helper(FakeService(status=500, body=b"x")).options_form(spawner("alice"))) == ""


# ---- KubeSpawner -----------------------------------------------------------------------------

EXISTING = [
    {"display_name": "Default", "slug": "default", "default": True, "kubespawner_override": {"image": "quay.io/jupyter/base-notebook:2026-01-05"}},
]


def test_kubespawner_profile_list_adds_one_profile_with_a_choice_per_image():
    profiles = run(helper(FakeService()).profile_list(EXISTING)(spawner("alice")))
    assert profiles[0] == EXISTING[0]
    added = profiles[1]
    assert added["slug"] == PROFILE_SLUG
    assert added["display_name"] == "Environments you built"
    assert "default" not in added, "the admin's default profile stays the default"
    choices = added["profile_options"]["image"]["choices"]
    assert [c["kubespawner_override"] for c in choices.values()] == [
        {"image": "r2d-alice/ok:abc"},
        {"image": "r2d-alice/plots:456"},
        {"image": "r2d-shared/course:123"},
    ]
    assert [c["display_name"] for c in choices.values()] == ["ok", "plots", "course (shared)"]
    assert [c["default"] for c in choices.values()] == [True, False, False]
    for key in choices:  # form values: stable, no characters a form or a pod label would mangle
        assert all(ch.isalnum() or ch == "-" for ch in key), key
    again = run(helper(FakeService()).profile_list(EXISTING)(spawner("alice")))
    assert list(again[1]["profile_options"]["image"]["choices"]) == list(choices)


def test_kubespawner_profile_list_keeps_bobs_list_free_of_alices_images():
    profiles = run(helper(FakeService()).profile_list(EXISTING)(spawner("bob")))
    images = [c["kubespawner_override"]["image"] for c in profiles[1]["profile_options"]["image"]["choices"].values()]
    assert images == ["r2d-bob/private:def", "r2d-shared/course:123"]


def test_kubespawner_profile_list_takes_a_callable_base_and_an_override_and_leaves_the_base_alone():
    async def base(spawner):
        return [dict(EXISTING[0], display_name=f"Default for {spawner.user.name}")]

    make = helper(FakeService()).profile_list(base, display_name="My environments", override={"cpu_limit": 2})
    profiles = run(make(spawner("alice")))
    assert profiles[0]["display_name"] == "Default for alice"
    assert profiles[1]["display_name"] == "My environments"
    assert profiles[1]["kubespawner_override"] == {"cpu_limit": 2}
    sync = run(helper(FakeService()).profile_list(lambda s: EXISTING)(spawner("alice")))
    assert len(sync) == 2


def test_kubespawner_profile_list_without_images_or_service_is_the_existing_list():
    assert run(helper(FakeService(images=[])).profile_list(EXISTING)(spawner("carol"))) == EXISTING
    down = helper(FakeService(status=503, body=b"{}"))
    assert run(down.profile_list(EXISTING)(spawner("alice"))) == EXISTING


# ---- the real HTTP client, against a loopback server -----------------------------------------


def test_the_default_client_sends_the_token_and_reads_the_answer():
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen["path"], seen["auth"] = self.path, self.headers.get("Authorization")
            body = json.dumps({"images": CATALOG}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/services/repo2docker/"
        images = run(EnvironmentImages(url=url, token=TOKEN).images_for("alice"))
        assert [i["name"] for i in images][0] == "r2d-alice/ok:abc"
        assert seen == {"path": "/services/repo2docker/api/images?usableBy=alice&groups=", "auth": f"token {TOKEN}"}
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(ServiceError, match="cannot reach"):
        run(EnvironmentImages(url=url, token=TOKEN, timeout=2).images_for("alice"))
