# BinderHub configuration for this project's tests and demos: API-only, no Kubernetes, no
# registry, builds run by BinderHub's local repo2docker build class on this machine's engine.
# Loaded by scripts/binderhub_run.py (started by scripts/start-binderhub.sh), which reads the
# same R2D_BINDERHUB_* variables; the defaults match the script's.
import os

from binderhub.build_local import LocalRepo2dockerBuild
from binderhub.repoproviders import GitRepoProvider

env = os.environ.get

# Build only, answer the REST API, never launch a server; with builder_required left True it
# loads a Kubernetes config at start and dies.
c.BinderHub.enable_api_only_mode = True
c.BinderHub.builder_required = False
c.BinderHub.use_registry = False
c.BinderHub.build_class = LocalRepo2dockerBuild
# Loopback only and nobody else on it: the service in front of BinderHub does the auth.
c.BinderHub.auth_enabled = False
c.BinderHub.build_token_secret = env("R2D_BINDERHUB_TOKEN_SECRET") or os.urandom(32).hex()
# Images land in the local engine as {image_prefix}{slug of the repo URL}:{commit}.
c.BinderHub.image_prefix = env("R2D_BINDERHUB_IMAGE_PREFIX", "r2d-binderhub/")

# R2D_BINDERHUB_REGISTRY=host:port: BinderHub checks that registry for built images and its
# builds push there (as binderhub-service does), names prefixed with the registry's host.
# LocalRepo2dockerBuild passes repo2docker --push only when push_secret is set; the engine then
# pushes, and it allows plain HTTP to 127.0.0.0/8. No credentials: a loopback test registry.
registry = env("R2D_BINDERHUB_REGISTRY")
if registry:
    c.BinderHub.use_registry = True
    c.BinderHub.image_prefix = f"{registry}/{c.BinderHub.image_prefix}"
    c.DockerRegistry.url = f"http://{registry}"
    c.DockerRegistry.username = ""
    c.DockerRegistry.password = ""
    c.LocalRepo2dockerBuild.push_secret = "push-without-credentials"
c.BinderHub.repo_providers = {"git": GitRepoProvider}
# file:// for the fixture repositories scripts/make-fixtures.sh makes.
c.GitRepoProvider.allowed_protocols = set(
    env("R2D_BINDERHUB_PROTOCOLS", "http,https,git,file").split(",")
)
# The default is 10 builds per hour per address, and every request here comes from 127.0.0.1.
c.RateLimiter.limit = 0

# The engine here has no bridge network and no internet: repo2docker's offline config.
r2d_config = env("R2D_BINDERHUB_REPO2DOCKER_CONFIG")
if r2d_config:
    c.LocalRepo2dockerBuild.repo2docker_extra_args = [f"--config={r2d_config}"]
