"""jupyterlab-repo2docker: build container images from repositories, from JupyterLab.

The wheel carries the prebuilt JupyterLab extension, the service bundled for Node
(``service/repo2docker-service.cjs``), the ``repo2docker-service`` console script, and a
jupyter-server-proxy entry point that starts the service for a plain ``jupyter lab``.
"""
try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.0.0+unknown"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-repo2docker"}]
