# repo2docker configuration for machines without a default bridge network or internet
# (this project's tests and benchmarks). Passed to repo2docker with --config.
from repo2docker import contentproviders

# BuildKit runs RUN steps in the "bridge" network, which a dockerd started with
# --bridge=none does not have.
c.DockerEngine.extra_buildx_build_args = ["--network=none"]

# Provider detection otherwise downloads the list of Dataverse installations for every
# URL. The service fetches repositories itself and hands repo2docker a local checkout, so the
# local-directory provider is the one it needs; git stays for running repo2docker by hand.
c.Repo2Docker.content_providers = [contentproviders.Local, contentproviders.Git]
