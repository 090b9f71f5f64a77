# Start BinderHub on loopback only. BinderHub.start() listens on every interface, so this
# does the same steps with an address: initialize() loads scripts/binderhub_config.py, then one
# HTTPServer on 127.0.0.1.
#   python scripts/binderhub_run.py PORT
import asyncio
import os
import signal
import sys

from binderhub.app import BinderHub
from tornado.httpserver import HTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))


async def main(port: int) -> None:
    # LocalRepo2dockerBuild runs `jupyter-repo2docker` from PATH: this venv's.
    bindir = os.path.dirname(sys.executable)
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    app = BinderHub(config_file=os.path.join(HERE, "binderhub_config.py"))
    app.initialize([])
    server = HTTPServer(app.tornado_app, xheaders=True)
    server.listen(port, address="127.0.0.1")
    app.log.info("BinderHub (API only) listening on http://127.0.0.1:%i", port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    app.log.info("BinderHub stopping")
    server.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
    # Build threads blocked on a repo2docker pipe (and BinderHub's own executors) would keep the
    # interpreter alive: leave at once. repo2docker processes of this process group get the
    # signal from `start-binderhub.sh stop` too.
    os._exit(0)
