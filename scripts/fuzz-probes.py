"""Answers a fuzzer does not reach by chance, sent on purpose and checked against the service's
OpenAPI document with Schemathesis' own response checks (status documented, content type, body
schema, documented headers, no 5xx unless asked for). Run by scripts/fuzz.sh after the fuzzing.

  FUZZ_TOKEN=... python fuzz-probes.py URL engine FIXTURE_URL       # 401, 405, 413, 415, 429s
  FUZZ_TOKEN=... python fuzz-probes.py URL docker-down FIXTURE_URL  # the 503s of an unreachable engine

URL is the service's base (through the hub's proxy: http://HUB/services/repo2docker); FUZZ_TOKEN
a hub token of an ordinary builder (in the environment: a command line is readable by anyone).

Prints one line per probe and exits 1 when any probe got another status or failed a check.
"""
import os
import sys
import uuid

import requests
import schemathesis
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]


def main() -> int:
    url, mode, fixture = sys.argv[1:4]
    secret = os.environ["FUZZ_TOKEN"]
    schema = schemathesis.openapi.from_url(f"{url}/api/openapi.json")
    auth = {"Authorization": f"token {secret}"}
    failures = sent = 0
    session = requests.Session()

    def probe(name: str, method: str, path: str, template: str, expect: int, **kwargs) -> requests.Response:
        """Send one request; check its status and its conformance to `template`'s operation."""
        nonlocal failures, sent
        sent += 1
        response = session.request(method, url + path, timeout=30, **kwargs)
        operation = schema[template][template_method(template, method)]
        problems = []
        if response.status_code != expect:
            problems.append(f"expected {expect}")
        try:
            operation.Case().validate_response(response, checks=CHECKS)
        except Exception as error:  # noqa: BLE001 - every check failure is reported the same way
            problems.append(str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__)
        ok = not problems
        failures += 0 if ok else 1
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {method} {path} -> {response.status_code}" + ("" if ok else f" ({'; '.join(problems)})"))
        return response

    def template_method(template: str, method: str) -> str:
        # An undeclared method is checked against a method the path does declare.
        declared = [key for key in schema.raw_schema["paths"][template] if key in ("get", "post", "delete", "put", "patch")]
        return method if method.lower() in declared else declared[0].upper()

    if mode == "engine":
        # Builds the fuzzer left queued or running would take the queue's places: cancel them.
        for build in session.get(f"{url}/api/builds", headers=auth, timeout=30).json()["builds"]:
            if build["phase"] not in ("built", "failed", "cancelled"):
                session.delete(f"{url}/api/builds/{build['id']}", headers=auth, timeout=30)
        probe("no credentials", "GET", "/api/info", "/api/info", 401)
        probe("a wrong secret", "GET", "/api/builds", "/api/builds", 401, headers={"Authorization": "token nope"})
        allow = probe("undeclared method", "PUT", "/api/builds", "/api/builds", 405, headers=auth).headers.get("Allow", "")
        if sorted(m.strip() for m in allow.split(",")) != ["GET", "HEAD", "POST"]:
            failures += 1
            print(f"FAIL Allow header of /api/builds is {allow!r}")
        probe("undeclared method, path parameter", "PATCH", "/api/builds/abc", "/api/builds/{id}", 405, headers=auth)
        probe(
            "body over 64 KiB", "POST", "/api/builds", "/api/builds", 413,
            headers={**auth, "Content-Type": "application/json"}, data='{"repo": "' + "x" * 70_000 + '"}',
        )
        probe("body not JSON", "POST", "/api/builds", "/api/builds", 415, headers={**auth, "Content-Type": "application/xml"}, data="<repo/>")
        probe("malformed JSON", "POST", "/api/builds", "/api/builds", 400, headers={**auth, "Content-Type": "application/json"}, data="{")
        # The service allows 3 builds queued or running per user (fuzz.sh's config); the slow
        # fixture keeps them there, so the fourth is refused. They are cancelled afterwards.
        slow = fixture.rsplit("/", 1)[0] + "/slow"
        started = []
        for i in range(4):
            body = {"repo": slow, "name": f"probe-{uuid.uuid4().hex[:8]}", "force": True}
            response = probe(f"queue limit, build {i + 1}", "POST", "/api/builds", "/api/builds", 202 if i < 3 else 429, headers=auth, json=body)
            if response.status_code == 202:
                started.append(response.json()["id"])
        for build in started:
            probe("cancel", "DELETE", f"/api/builds/{build}", "/api/builds/{id}", 200, headers=auth)
        # Failed token checks are limited per client address (20 a minute by default): a stream of
        # random tokens ends in 429 with Retry-After, while the good token, cached, still works.
        for i in range(25):
            response = session.get(f"{url}/api/info", headers={"Authorization": f"token {uuid.uuid4().hex}"}, timeout=30)
            if response.status_code == 429:
                break
        fresh = {"Authorization": f"token {uuid.uuid4().hex}"}  # a refused token already cached answers 401 at no cost
        response = probe("failed authentications limited", "GET", "/api/info", "/api/info", 429, headers=fresh)
        if not response.headers.get("Retry-After", "").isdigit():
            failures += 1
            print("FAIL 429 without a Retry-After in seconds")
        probe("the good token still works", "GET", "/api/info", "/api/info", 200, headers=auth)
    else:
        probe("health without Docker", "GET", "/health", "/health", 503)
        probe("image list without Docker", "GET", "/api/images", "/api/images", 503, headers=auth)
        probe("image delete without Docker", "DELETE", "/api/images/r2d-x%2Fy%3Aabc", "/api/images/{name}", 503, headers=auth)
    print(f"probes ({mode}): {sent} sent, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
