# Test and demo overlay for examples/jupyterhub_config.py: NOT for production.
#
# scripts/start-hub.sh runs `jupyterhub -f examples/test_overrides.py`. This file loads the
# example config unchanged, then only changes what a throwaway hub on one machine needs:
# loopback ports, state in a temporary directory, test users with a dummy login, user servers
# as plain local processes, the service run from this source tree, and an API token for tests.
#
# Everything comes from environment variables that start-hub.sh sets (see there):
#   R2D_HUB_DIR            state directory (database, cookie secret, pid files, service config)
#   R2D_HUB_PORT           public port (the proxy): http://127.0.0.1:$R2D_HUB_PORT
#   R2D_HUB_INTERNAL_PORT  the hub's own API port
#   R2D_PROXY_API_PORT     configurable-http-proxy's REST API port
#   R2D_SERVICE_PORT       the repo2docker service's port
#   R2D_SERVICE_COMMAND    JSON argv that starts the service; R2D_SERVICE_CWD its directory
#   R2D_SERVICE_CONFIG     the service's JSON config file
#   R2D_HUB_ADMIN_TOKEN    token of the "test-admin" service (creates users' tokens in tests)
#   R2D_CHP                configurable-http-proxy executable
#   R2D_VENV               the venv with jupyterhub-singleuser and JupyterLab
#   R2D_HUB_PASSWORD       optional: the one password every test user logs in with
#   R2D_HUB_SPAWNER        optional: "docker" starts user servers as containers with the example's
#                          DockerSpawner setup (on this machine's engine without a bridge network);
#                          "per-server" keeps each user's default server a local process (JupyterLab
#                          with the extension, from the venv) and starts NAMED servers (the panel's
#                          and the launch link's, one per environment) as containers, like "docker"
import json
import os
import sys

# The example imports jupyterlab_repo2docker.spawner: from this source tree when not installed.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

load_subconfig(os.path.join(os.path.dirname(os.path.abspath(__file__)), "jupyterhub_config.py"))  # noqa: F821

env = os.environ
hub_dir = env["R2D_HUB_DIR"]

# Loopback only; state in the test's directory, nothing in the working directory.
c.JupyterHub.bind_url = f"http://127.0.0.1:{env['R2D_HUB_PORT']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{env['R2D_HUB_INTERNAL_PORT']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env['R2D_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.command = [env.get("R2D_CHP", "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = os.path.join(hub_dir, "proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(hub_dir, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(hub_dir, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(hub_dir, "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# Test users: alice builds, bob reads, carol has no repo2docker role, dave is a second builder,
# admin holds the service's admin scope and is a hub admin too.
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {"alice", "bob", "carol", "dave", "admin"}
c.Authenticator.admin_users = {"admin"}
if env.get("R2D_HUB_PASSWORD"):
    c.DummyAuthenticator.password = env["R2D_HUB_PASSWORD"]
c.JupyterHub.load_groups["repo2docker-readers"]["users"] = ["bob"]  # noqa: F821
c.JupyterHub.load_groups["repo2docker-builders"]["users"] = ["alice", "dave"]  # noqa: F821
c.JupyterHub.load_groups["repo2docker-admins"]["users"] = ["admin"]  # noqa: F821

# User servers (the demo, and the test that reads the token in a user's JupyterLab page): local
# processes as the hub's own user, each with a home under the state directory.
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(hub_dir, "home", "{username}")
venv_bin = os.path.join(env.get("R2D_VENV", ""), "bin")
singleuser = os.path.join(venv_bin, "jupyterhub-singleuser")
c.Spawner.cmd = [singleuser if os.path.exists(singleuser) else "jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
if os.geteuid() == 0:
    c.Spawner.args = ["--allow-root"]

if env.get("R2D_HUB_SPAWNER") in ("docker", "per-server"):
    # The example's DockerSpawner (its helper hooks included), adapted to an engine without a
    # bridge network only: containers share the host's network, so each server listens on
    # 127.0.0.1 and a port of its own (stock DockerSpawner fixes 8888 and wants port bindings).
    from dockerspawner import DockerSpawner
    from jupyterhub.utils import random_port

    class LoopbackDockerSpawner(DockerSpawner):
        async def start(self):
            self.port = random_port()
            return await super().start()

        async def get_ip_and_port(self):
            return "127.0.0.1", self.port

    c.JupyterHub.spawner_class = LoopbackDockerSpawner
    c.DockerSpawner.network_name = "host"
    c.DockerSpawner.use_internal_ip = True
    c.DockerSpawner.ip = "127.0.0.1"
    c.DockerSpawner.pull_policy = "never"  # nothing can be pulled here; images are built locally
    c.DockerSpawner.remove = True
    c.DockerSpawner.cmd = ["jupyterhub-singleuser"]  # the image's, not the venv's path above
    c.DockerSpawner.args = []
    c.DockerSpawner.name_template = "r2d-test-{prefix}-{username}--{servername}"

if env.get("R2D_HUB_SPAWNER") == "per-server":
    # The hub browser tests need both at once: the panel lives in the user's default server (the
    # venv's JupyterLab with this extension: a local process, as above), and the servers it starts
    # run in the user's images (containers, with the example's helper hooks). The hub makes one
    # spawner object per server with one configured class, so this class picks the real one per
    # server when the hub makes it: `__new__` returns an instance of the chosen class (which
    # Python then does not re-initialise), each configured by its own config section. A named
    # server is always a container: a hand-made start of one cannot escape the image checks.
    # Test rig only: an admin picks one spawner (the example's DockerSpawner).
    from jupyterhub.spawner import SimpleLocalProcessSpawner, Spawner

    class PerServerSpawner(Spawner):
        def __new__(cls, *args, **kwargs):
            orm_spawner = kwargs.get("orm_spawner")
            named = bool(orm_spawner is not None and orm_spawner.name)
            chosen = LoopbackDockerSpawner if named else SimpleLocalProcessSpawner
            return chosen(*args, **kwargs)

        # Never called (no instance of this class exists); the hub insists they are defined.
        async def start(self):
            raise NotImplementedError

        async def stop(self, now=False):
            raise NotImplementedError

        async def poll(self):
            raise NotImplementedError

    c.JupyterHub.spawner_class = PerServerSpawner

# The service: run from this source tree, on a free port, with the test configuration.
service = next(s for s in c.JupyterHub.services if s["name"] == "repo2docker")  # noqa: F821
service["command"] = json.loads(env["R2D_SERVICE_COMMAND"])
if env.get("R2D_SERVICE_CWD"):
    service["cwd"] = env["R2D_SERVICE_CWD"]
service["url"] = f"http://127.0.0.1:{env['R2D_SERVICE_PORT']}"
service["environment"] = {"REPO2DOCKER_SERVICE_CONFIG": env["R2D_SERVICE_CONFIG"]}
if env.get("DOCKER_HOST"):
    service["environment"]["DOCKER_HOST"] = env["DOCKER_HOST"]

# A service whose token the tests use to make tokens for the test users (POST
# /hub/api/users/{name}/tokens): with no scopes asked, a token inherits all its user's scopes.
c.JupyterHub.services.append(  # noqa: F821
    {"name": "test-admin", "api_token": env["R2D_HUB_ADMIN_TOKEN"], "display": False}
)
c.JupyterHub.load_roles.append(  # noqa: F821
    {
        "name": "test-admin",
        "description": "Test harness: manage users and their tokens.",
        "scopes": ["admin:users", "admin:groups", "tokens"],
        "services": ["test-admin"],
    }
)
