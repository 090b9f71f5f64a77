"""Start JupyterHub servers in the images users built with the repo2docker service.

The service is a builder with a catalog; starting servers is the spawner's job. These helpers
let the hub's spawner ask the service, at spawn time, which images the spawning user may use:
their own, the shared namespace's, and those other users shared with them (with everyone, or
with one of the user's hub groups). Nothing here trusts what the user sends: the image in a
hand-made ``user_options`` is checked against that answer, so nobody starts another user's
private image.

The helper calls the service with a token of its own (a hub service entry, e.g.
``repo2docker-spawner``, whose role grants ``access:services!service=repo2docker`` and
``custom:repo2docker:read-all``) and asks ``GET api/images?usableBy=<user>&groups=<g1,g2>``
with the groups from the hub's own user model (not from the user's request): the service
answers by the same sharing rule it applies to the user's own list. See
examples/jupyterhub_config.py.

DockerSpawner::

    environments = EnvironmentImages(url="http://127.0.0.1:10101/services/repo2docker/", token=...)
    c.DockerSpawner.pre_spawn_hook = environments.pre_spawn_hook   # asks the service, per start
    c.DockerSpawner.allowed_images = environments.allowed_images   # DockerSpawner checks with it
    c.DockerSpawner.options_form = environments.options_form       # the spawn page's choice

KubeSpawner (images from a registry the cluster can pull from)::

    c.KubeSpawner.profile_list = environments.profile_list(existing_profiles)
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import Any, Awaitable, Callable, Iterable, Mapping, Sequence
from urllib.parse import quote, urlencode, urljoin

READ_ALL_SCOPE = "custom:repo2docker:read-all"
PROFILE_SLUG = "repo2docker-environments"

# Where pre_spawn_hook leaves this start's answer for allowed_images (which DockerSpawner calls
# synchronously, inside start(): it cannot ask the service itself without blocking the hub).
_ALLOWED_ATTR = "_repo2docker_allowed_images"
# The spawner's configured image, kept at the first start: DockerSpawner stores a chosen image in
# spawner.image, and a later start without a choice would otherwise reuse it unchecked.
_DEFAULT_ATTR = "_repo2docker_default_image"


class ServiceError(Exception):
    """The service could not be asked, or refused (the message says why, without the token)."""


def _label(image: Mapping[str, Any], username: str | None = None) -> str:
    label = image.get("displayName") or image["name"]
    if image.get("shared"):
        return f"{label} (shared)"
    if username is not None and image.get("owner") != username:
        return f"{label} (shared by {image.get('owner')})"
    return label


def group_names(user: Any) -> list[str]:
    """The hub groups of a spawner's user: JupyterHub's ``User.groups`` (orm Group objects with
    ``.name``), from the hub's database, never from what the user sent. None when unknown."""
    names = set()
    for group in getattr(user, "groups", None) or []:
        name = getattr(group, "name", group)
        if isinstance(name, str) and name:
            names.add(name)
    return sorted(names)


def usable_by(image: Mapping[str, Any], username: str, groups: Iterable[str]) -> bool:
    """The service's sharing rule (service/src/auth/policy.ts `usableBy`), checked again here so
    that an answer with more than it should (an older service, a bug) offers nothing more."""
    if image.get("owner") == username or image.get("shared"):
        return True
    sharing = image.get("sharing") or {}
    if sharing.get("visibility") == "everyone":
        return True
    if sharing.get("visibility") == "groups":
        return bool(set(sharing.get("groups") or []) & set(groups))
    return False


def _choice_key(image: Mapping[str, Any]) -> str:
    """A form-safe, stable key per image: readable part plus a hash of the full name."""
    readable = re.sub(r"[^a-z0-9]+", "-", str(image.get("displayName") or image["name"]).lower()).strip("-")[:40]
    digest = hashlib.sha256(image["name"].encode()).hexdigest()[:10]
    return f"{readable or 'image'}-{digest}"


class EnvironmentImages:
    """Asks the repo2docker service which images a hub user may start.

    url: the service's base URL including its prefix, e.g.
        ``http://127.0.0.1:10101/services/repo2docker/`` (direct, not through the proxy), or
    service: the hub's service entry (a dict from ``c.JupyterHub.services``) whose ``url`` is
        read at each call, so config loaded later that changes the entry is followed; the prefix
        is ``{base_url}services/{name}/``.
    token: a token whose scopes include ``access:services!service=<name>`` and
        ``custom:repo2docker:read-all`` (or ``custom:repo2docker:admin``).
    include_shared: also offer the shared images (built by admins for everyone).
    """

    def __init__(
        self,
        url: str | None = None,
        token: str = "",
        *,
        service: Mapping[str, Any] | None = None,
        base_url: str = "/",
        include_shared: bool = True,
        timeout: float = 10.0,
        fetch: Callable[[str, Mapping[str, str], float], Awaitable[tuple[int, bytes]]] | None = None,
    ):
        if (url is None) == (service is None):
            raise ValueError("give exactly one of url= and service=")
        if not token:
            raise ValueError("token= is required: the service answers nobody without one")
        self._url = url
        self._service = service
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._token = token
        self.include_shared = include_shared
        self.timeout = timeout
        self._fetch = fetch or _tornado_fetch

    def __repr__(self) -> str:  # never the token
        return f"EnvironmentImages(url={self.images_url!r})"

    @property
    def images_url(self) -> str:
        if self._url is not None:
            base = self._url
        else:
            name = self._service["name"]
            base = urljoin(self._service["url"].rstrip("/") + "/", f"{self._base_url.lstrip('/')}services/{name}/")
        return urljoin(base if base.endswith("/") else base + "/", "api/images")

    async def images_for(self, username: str, groups: Iterable[str] = ()) -> list[dict[str, Any]]:
        """The images `username` (in the hub groups `groups`) may start, newest first in each
        part: their own, then those other users shared with them, then the shared namespace's."""
        groups = sorted(set(groups))
        query = urlencode({"usableBy": username, "groups": ",".join(groups)}, quote_via=quote)
        url = f"{self.images_url}?{query}"
        try:
            status, body = await self._fetch(
                url, {"Authorization": f"token {self._token}", "Accept": "application/json"}, self.timeout
            )
        except Exception as error:  # connection refused, timeout, DNS: say where, not the token
            raise ServiceError(f"cannot reach the repo2docker service at {url}: {error}") from None
        if status != 200:
            try:
                detail = json.loads(body)["error"]["message"]
            except Exception:
                detail = body[:200].decode("utf-8", "replace")
            raise ServiceError(f"the repo2docker service answered {status} at {url}: {detail}")
        images = [image for image in json.loads(body)["images"] if usable_by(image, username, groups)]
        own = [image for image in images if image.get("owner") == username and not image.get("shared")]
        others = [image for image in images if image.get("owner") != username and not image.get("shared")]
        shared = [image for image in images if image.get("shared")] if self.include_shared else []
        return own + others + shared

    # ---- DockerSpawner --------------------------------------------------------------------

    async def pre_spawn_hook(self, spawner: Any) -> None:
        """Ask the service for this start, and keep the answer for `allowed_images`.

        Only when the start asks for an image: a start with DockerSpawner's default image does
        not depend on the service. If you have a pre_spawn_hook of your own, await this in it.
        """
        setattr(spawner, _ALLOWED_ATTR, {})
        if hasattr(spawner, "image"):
            if not hasattr(spawner, _DEFAULT_ATTR):
                setattr(spawner, _DEFAULT_ATTR, spawner.image)
            spawner.image = getattr(spawner, _DEFAULT_ATTR)
        if not spawner.user_options.get("image"):
            return
        setattr(spawner, _ALLOWED_ATTR, await self._docker_choices(spawner))

    def allowed_images(self, spawner: Any) -> dict[str, str]:
        """DockerSpawner's `allowed_images` callable: {image name: image name}.

        The keys are the full image names because DockerSpawner looks the requested
        ``user_options["image"]`` up among the keys (and starts the value): a client sends the
        name the service lists. What this start's pre_spawn_hook fetched; nothing if it did not
        run, so a misconfiguration refuses every requested image rather than allowing any.
        """
        return dict(getattr(spawner, _ALLOWED_ATTR, None) or {})

    async def options_form(self, spawner: Any) -> str:
        """The spawn page: a choice of the user's environments (empty: no form, default image)."""
        try:
            images = await self.images_for(spawner.user.name, group_names(spawner.user))
        except ServiceError as error:
            spawner.log.warning("repo2docker environments not offered: %s", error)
            return ""
        if not images:
            return ""
        options = "\n".join(
            f'<option value="{html.escape(image["name"])}">{html.escape(_label(image, spawner.user.name))}</option>'
            for image in images
        )
        return (
            '<label for="repo2docker-image">Environment</label>\n'
            '<select class="form-control" id="repo2docker-image" name="image" required autofocus>\n'
            f"{options}\n</select>"
        )

    async def _docker_choices(self, spawner: Any) -> dict[str, str]:
        from tornado import web  # the hub's web framework; imported here so the module stays light

        try:
            images = await self.images_for(spawner.user.name, group_names(spawner.user))
        except ServiceError as error:
            raise web.HTTPError(503, f"cannot list your environments: {error}") from None
        return {image["name"]: image["name"] for image in images}

    # ---- KubeSpawner ----------------------------------------------------------------------

    def environments_profile(
        self,
        images: Sequence[Mapping[str, Any]],
        *,
        display_name: str = "Environments you built",
        description: str = "Images built with repo2docker from the Environments panel: yours and the shared ones.",
        override: Mapping[str, Any] | None = None,
        username: str | None = None,
    ) -> dict[str, Any] | None:
        """One KubeSpawner profile with a choice per image, or None when there is none.

        `override` is the profile's own kubespawner_override (e.g. resources), applied with
        every choice; each choice sets only ``image``.
        """
        if not images:
            return None
        choices = {}
        for index, image in enumerate(images):
            choices[_choice_key(image)] = {
                "display_name": _label(image, username),
                "default": index == 0,
                "kubespawner_override": {"image": image["name"]},
            }
        profile: dict[str, Any] = {
            "display_name": display_name,
            "slug": PROFILE_SLUG,
            "description": description,
            "profile_options": {"image": {"display_name": "Environment", "choices": choices}},
        }
        if override:
            profile["kubespawner_override"] = dict(override)
        return profile

    def profile_list(
        self,
        existing: Sequence[Mapping[str, Any]] | Callable[[Any], Any] = (),
        **profile_options: Any,
    ) -> Callable[[Any], Awaitable[list[dict[str, Any]]]]:
        """A `KubeSpawner.profile_list` callable: `existing` (a list, or a callable as
        KubeSpawner takes, sync or async) with "Environments you built" added at the end.

        KubeSpawner calls it for the spawn page and again when a start has no list loaded; a
        choice that is not in the user's list is refused by KubeSpawner itself, so another
        user's private image cannot be asked for. If the service cannot be asked, the existing
        profiles are still offered.
        """

        async def profile_list(spawner: Any) -> list[dict[str, Any]]:
            base = existing(spawner) if callable(existing) else existing
            if hasattr(base, "__await__"):
                base = await base
            profiles = [dict(profile) for profile in base or []]
            try:
                images = await self.images_for(spawner.user.name, group_names(spawner.user))
            except ServiceError as error:
                spawner.log.warning("repo2docker environments not offered: %s", error)
                return profiles
            extra = self.environments_profile(images, username=spawner.user.name, **profile_options)
            return profiles + ([extra] if extra else [])

        return profile_list


async def _tornado_fetch(url: str, headers: Mapping[str, str], timeout: float) -> tuple[int, bytes]:
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest

    request = HTTPRequest(url, headers=dict(headers), request_timeout=timeout, connect_timeout=timeout)
    response = await AsyncHTTPClient().fetch(request, raise_error=False)
    if response.code == 599:  # tornado's "no HTTP answer" (refused, timed out)
        raise response.error or OSError("no answer")
    return response.code, response.body or b""
