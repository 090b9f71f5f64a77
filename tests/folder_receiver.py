"""A stand-in for the service's two routes a folder build uses (GET api/info, POST api/builds/upload),
at the HTTP boundary: it records what arrives and answers as told.

In-process on a loopback TCP port (``start_tcp``), or as a script on a unix socket, the way
jupyter-server-proxy starts the real service (``python folder_receiver.py SOCKET RECORD_DIR``):
then each request is recorded as ``RECORD_DIR/N.json`` (+ ``N.body``).
"""

import json
import os
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LIMITS = {"uploadMaxBytes": 1024 * 1024, "uploadMaxFiles": 100}


class Receiver(BaseHTTPRequestHandler):
    def address_string(self):  # a unix socket has no client address
        return "local"

    def log_message(self, *args):
        pass

    def _record(self, body=b""):
        server = self.server
        call = {"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
        server.calls.append(call)
        if server.record_dir:
            n = len(server.calls)
            with open(os.path.join(server.record_dir, f"{n}.body"), "wb") as f:
                f.write(body)
            with open(os.path.join(server.record_dir, f"{n}.json"), "w") as f:
                json.dump(dict(call, body=len(body)), f)

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._record()
        if self.path.split("?")[0].endswith("/api/info"):
            return self._answer(200, {"service": "repo2docker", "limits": dict(self.server.limits)})
        return self._answer(404, {"error": {"code": "not_found", "message": "no such route"}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self._record(body)
        if self.path.split("?")[0].endswith("/api/builds/upload"):
            status, answer = self.server.upload_answer
            return self._answer(status, answer)
        return self._answer(404, {"error": {"code": "not_found", "message": "no such route"}})


def _configure(server, record_dir=None):
    server.calls, server.record_dir = [], record_dir
    server.limits = dict(LIMITS)
    server.upload_answer = (202, {"id": "b-1", "phase": "queued", "source": {"kind": "folder"}})
    return server


def start_tcp():
    server = _configure(ThreadingHTTPServer(("127.0.0.1", 0), Receiver))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if __name__ == "__main__":
    socket_path, record_dir = sys.argv[1], sys.argv[2]
    server = _configure(_UnixServer(socket_path, Receiver), record_dir)
    server.serve_forever()
