# jupyterhub_config.py: enable jupyterlab-repo2docker on a JupyterHub (3.2 or newer; tested on 6.1).
#
# Copy what you need into your own jupyterhub_config.py. The parts, in order:
#   1. the custom scopes the service understands;
#   2. roles granting them, with access to the service, to groups;
#   3. the groups (members are yours to add);
#   4. the service itself (the hub starts and stops it: "managed");
#   5. the scopes the token in each user's JupyterLab may carry, so the Environments panel
#      can call the service with it;
#   6. starting servers in the images users built (DockerSpawner with the project's helper).
# The end of this file shows the "external" form, for a service you run yourself.
#
# This exact file is what the project's end-to-end tests run (examples/test_overrides.py loads
# it unchanged, then sets ports, test users and how to start the service from the source tree).

import os
import secrets

SERVICE_NAME = "repo2docker"  # the URL is {hub}/services/repo2docker/; the scopes below name it
ACCESS = f"access:services!service={SERVICE_NAME}"
READ = "custom:repo2docker:read"
BUILD = "custom:repo2docker:build"
ADMIN = "custom:repo2docker:admin"
READ_ALL = "custom:repo2docker:read-all"  # for the spawner's own token (6), not for people

# 1. Custom scopes. A scope's `subscopes` are implied by it: build includes read, and admin
#    includes build (hence read). Define read first: subscopes must name defined scopes.
c.JupyterHub.custom_scopes = {
    READ: {
        "description": "See your own and shared repo2docker images and builds, and read their logs.",
    },
    BUILD: {
        "description": "Build images with repo2docker in your own namespace; cancel your builds and delete your images.",
        "subscopes": [READ],
    },
    ADMIN: {
        "description": "See, cancel and delete everyone's repo2docker builds and images; build shared images.",
        "subscopes": [BUILD],
    },
    READ_ALL: {
        "description": "See everyone's repo2docker images and builds, read-only (the spawner asks with it).",
        "subscopes": [READ],
    },
}

# 2. Roles. Every role also grants access to the service: the default `user` role does not
#    include `access:services`, and without it every request gets 403 (whatever custom scope the
#    user holds). To let *every* user build instead, JupyterHub 6 can add scopes to the default
#    role: c.JupyterHub.extra_user_scopes = {ACCESS, BUILD}
c.JupyterHub.load_roles = [
    {
        "name": "repo2docker-readers",
        "description": "Browse repo2docker images and build logs.",
        "scopes": [ACCESS, READ],
        "groups": ["repo2docker-readers"],
    },
    {
        "name": "repo2docker-builders",
        "description": "Build images with repo2docker.",
        "scopes": [ACCESS, BUILD],
        "groups": ["repo2docker-builders"],
    },
    {
        "name": "repo2docker-admins",
        "description": "Manage everyone's repo2docker builds and images.",
        "scopes": [ACCESS, ADMIN],
        "groups": ["repo2docker-admins"],
    },
]

# 3. Groups, created empty here: add members on the hub's admin page (or with the REST API),
#    list them below (the users must exist for your authenticator: with PAM, system users), or
#    let your authenticator manage them (Authenticator.manage_groups). load_groups only ever
#    *adds* members: removing a name here does not take it out of the group.
c.JupyterHub.load_groups = {
    "repo2docker-readers": {"users": []},  # e.g. ["bob"]
    "repo2docker-builders": {"users": []},  # e.g. ["alice"]
    "repo2docker-admins": {"users": []},  # e.g. ["admin"]
}

# 4. The service, managed by the hub. `repo2docker-service` is the console script that
#    `pip install jupyterlab_repo2docker` installs (it runs the bundled service with Node).
#    The hub gives it JUPYTERHUB_API_URL, JUPYTERHUB_API_TOKEN, JUPYTERHUB_SERVICE_NAME,
#    JUPYTERHUB_SERVICE_URL (the `url` below: the service listens there) and
#    JUPYTERHUB_SERVICE_PREFIX (/services/repo2docker/), plus PATH, LANG, VIRTUAL_ENV and a few
#    others from the hub's own environment; anything else it needs goes in `environment`.
REPO2DOCKER_SERVICE = {
    "name": SERVICE_NAME,
    "command": ["repo2docker-service"],
    # Where the service listens; the hub's proxy routes {hub}/services/repo2docker/ here.
    "url": "http://127.0.0.1:10101",
    # Users who open the service's own page are not asked to confirm the login.
    "oauth_no_confirm": True,
    # The most the service's own page may act with on a user's behalf (a user only ever
    # gets the scopes they hold); access to the service itself is always included. The two
    # servers scopes are for launch links ({hub}/services/repo2docker/launch?repo=...): the page
    # starts the user's named server and watches it start with the user's own token (the `!user`
    # filter: their servers only); drop them if you do not want launch links.
    "oauth_client_allowed_scopes": [READ, BUILD, ADMIN, "start:servers!user", "read:servers!user"],
    "environment": {
        # The service's JSON config file (create it, or drop this line to run with the
        # defaults; `repo2docker-service --help-config` lists every key), e.g.
        # {"builds": {"maxConcurrent": 4, "timeoutSeconds": 1800},
        #  "repo2docker": {"command": ["/opt/venv/bin/repo2docker"]}}
        "REPO2DOCKER_SERVICE_CONFIG": "/etc/jupyterhub/repo2docker-service.json",
        # The Docker engine to build on, when it is not the local default socket:
        # "DOCKER_HOST": "unix:///var/run/docker.sock",
    },
    # Run it as an unprivileged user allowed to use the Docker engine (default: the hub's user):
    # "user": "repo2docker",
}
c.JupyterHub.services = [REPO2DOCKER_SERVICE]

# 5. The token JupyterLab receives (PageConfig, under JupyterHub) is the user's OAuth token for
#    their single-user server; it carries at most these scopes, and only those the user holds.
#    Without them here the Environments panel can't call the service. Users must log in again
#    (or restart their server) to get a token with scopes added here.
c.Spawner.oauth_client_allowed_scopes = [ACCESS, READ, BUILD, ADMIN]
# Where users' servers send a folder to build ("Build environment from this folder": the server
# packs it and uploads it with the user's token). Straight to the service's `url` (a callable, so
# a later change of the `url` above is followed); from servers in containers, an address they reach.
c.Spawner.environment.update(
    {"REPO2DOCKER_SERVICE_URL": lambda spawner: REPO2DOCKER_SERVICE["url"].rstrip("/") + f"/services/{SERVICE_NAME}/"}
)

# 6. Servers in the environments users built. The spawner asks the service, at every start,
#    which images the spawning user may use (their own and the shared ones), with a token of its
#    own: a hub service that only holds a token, whose role grants access to the service and
#    READ_ALL (read-only, everyone's images). DockerSpawner then refuses, with 400 and nothing
#    started, an image in user_options that the answer does not hold: a hand-made request cannot
#    start another user's private image. Keep the token secret and fixed (e.g. `openssl rand
#    -hex 32` in the hub's environment): without it a new one is made at each start, and the hub
#    keeps the old ones of a config-file service in its database.
SPAWNER_TOKEN = os.environ.get("REPO2DOCKER_SPAWNER_TOKEN") or secrets.token_hex(32)
c.JupyterHub.services.append({"name": "repo2docker-spawner", "api_token": SPAWNER_TOKEN, "display": False})
c.JupyterHub.load_roles.append(
    {
        "name": "repo2docker-spawner",
        "description": "The spawner lists the images each user may start.",
        "scopes": [ACCESS, READ_ALL],
        "services": ["repo2docker-spawner"],
    }
)

from jupyterlab_repo2docker.spawner import EnvironmentImages  # noqa: E402

# service=: the helper reads the entry's `url` at each call (straight to the service, not
# through the proxy). For an external service give url="http://10.0.0.5:10101/services/repo2docker/".
environments = EnvironmentImages(service=REPO2DOCKER_SERVICE, token=SPAWNER_TOKEN)
c.JupyterHub.spawner_class = "docker"  # pip install dockerspawner
c.DockerSpawner.pre_spawn_hook = environments.pre_spawn_hook  # asks the service at each start
c.DockerSpawner.allowed_images = environments.allowed_images  # what DockerSpawner checks against
c.DockerSpawner.options_form = environments.options_form  # the spawn page offers the user's images
# c.DockerSpawner.image = "quay.io/jupyterhub/singleuser:6.1"  # started when none is chosen
# A user may run several servers (one per environment), started, watched and stopped by the
# Environments panel with the token of their JupyterLab (the `!user` filter: their own only).
c.JupyterHub.allow_named_servers = True
c.Spawner.oauth_client_allowed_scopes += ["start:servers!user", "read:servers!user", "delete:servers!user"]

# ---------------------------------------------------------------------------------------------
# External form: you start the service yourself (systemd, a container, another machine) and
# the hub only routes to it and knows its token. Replace the entry in (4) by:
#
# REPO2DOCKER_SERVICE = {
#     "name": "repo2docker",
#     "url": "http://10.0.0.5:10101",   # where it listens, reachable from the proxy and the hub
#     "api_token": os.environ["REPO2DOCKER_SERVICE_TOKEN"],  # a long random secret
#     "oauth_no_confirm": True,
#     "oauth_client_allowed_scopes": [READ, BUILD, ADMIN, "start:servers!user", "read:servers!user"],
# }
#
# and start the service with the environment the hub would otherwise give it:
#
#   JUPYTERHUB_SERVICE_NAME=repo2docker \
#   JUPYTERHUB_API_TOKEN=<the same secret as api_token> \
#   JUPYTERHUB_API_URL=http://<hub host>:8081/hub/api \
#   JUPYTERHUB_SERVICE_URL=http://10.0.0.5:10101 \
#   JUPYTERHUB_SERVICE_PREFIX=/services/repo2docker/ \
#   JUPYTERHUB_BASE_URL=/ \
#   JUPYTERHUB_CLIENT_ID=service-repo2docker \
#   JUPYTERHUB_OAUTH_CALLBACK_URL=/services/repo2docker/oauth_callback \
#   REPO2DOCKER_SERVICE_CONFIG=/etc/repo2docker-service.json \
#   repo2docker-service
#
# The hub's API must be reachable from the service (c.JupyterHub.hub_bind_url, e.g.
# "http://0.0.0.0:8081", when they run on different machines). Roles, groups and
# c.Spawner.oauth_client_allowed_scopes stay as above.
