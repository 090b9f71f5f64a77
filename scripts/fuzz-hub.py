"""The one JupyterHub API call the service makes to check a token (`GET <api>/user`), answered on
loopback for scripts/fuzz.sh: one token names one ordinary user (not an admin) holding the
service's access, read and build scopes; any other token is refused as the hub refuses it (403).

The fuzzed service then sees what a hub user sees: its own images and the shared ones, and it
may delete only its own. So the fuzzer cannot delete images other people's tests built in the
same Docker engine (in local mode the one user is an admin, who may).

  python fuzz-hub.py PORT_FILE TOKEN USER
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = "repo2docker"


def main() -> None:
    port_file, token, user = sys.argv[1:4]
    identity = {
        "kind": "user",
        "name": user,
        "admin": False,
        "groups": [],
        "session_id": None,
        "scopes": [
            f"access:services!service={SERVICE}",
            f"custom:{SERVICE}:read",
            f"custom:{SERVICE}:build",
        ],
    }

    class Hub(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            given = self.headers.get("Authorization", "")
            if self.path.rstrip("/").endswith("/user") and given in (f"token {token}", f"Bearer {token}"):
                self.answer(200, identity)
            else:
                self.answer(403, {"status": 403, "message": "Forbidden"})

        def answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass  # quiet: the fuzzer makes thousands of calls

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    with open(port_file, "w") as out:
        out.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
