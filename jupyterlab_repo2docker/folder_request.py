"""The body of ``POST {base_url}jupyterlab-repo2docker/folder-build`` and the folder it names.

Pure: no server, no network; the handler turns ``RequestError`` into a 4xx JSON answer naming the field.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Optional

MAX_BODY_BYTES = 64 * 1024
MAX_PATH_CHARS = 4096
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")  # the SPEC's image-name rule, checked before packing
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
FIELDS = {"path", "name", "displayName", "force"}


class RequestError(Exception):
    def __init__(self, status: int, code: str, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


@dataclass(frozen=True)
class FolderBuildRequest:
    path: str  # relative to the server's root_dir, "/"-separated, "" for root_dir itself
    name: Optional[str] = None
    display_name: Optional[str] = None
    force: bool = False


def parse_request(body: bytes) -> FolderBuildRequest:
    if len(body) > MAX_BODY_BYTES:
        raise RequestError(413, "body_too_large", f"the request body is over {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body or b"null")
    except ValueError:
        raise RequestError(400, "bad_json", "the request body is not JSON")
    if not isinstance(data, dict):
        raise RequestError(400, "bad_body", "the request body must be a JSON object")
    for key in data:
        if key not in FIELDS:
            raise RequestError(400, "unknown_field", f"unknown field {key!r}", key)
    path = data.get("path")
    if not isinstance(path, str):
        raise RequestError(400, "bad_path", "path (the folder, relative to the server's root) is required", "path")
    name, display_name, force = data.get("name"), data.get("displayName"), data.get("force", False)
    if name is not None and (not isinstance(name, str) or not NAME.match(name)):
        raise RequestError(400, "bad_name", "name must match [a-z0-9][a-z0-9._-]{0,62}", "name")
    if display_name is not None and (not isinstance(display_name, str) or len(display_name) > 255):
        raise RequestError(400, "bad_display_name", "displayName must be a string of at most 255 characters", "displayName")
    if not isinstance(force, bool):
        raise RequestError(400, "bad_force", "force must be true or false", "force")
    return FolderBuildRequest(normalise_path(path), name or None, display_name or None, force)


def normalise_path(path: str) -> str:
    """The contents-API path, cleaned of outer slashes and "."; refused with ``..``, controls or backslashes."""
    if len(path) > MAX_PATH_CHARS or _CONTROL.search(path) or "\\" in path:
        raise RequestError(400, "bad_path", "path holds control characters or backslashes, or is too long", "path")
    parts = [p for p in path.strip("/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise RequestError(400, "bad_path", "path must not contain ..", "path")
    return "/".join(parts)


def resolve_folder(root_dir: str, path: str, allow_hidden: bool) -> str:
    """The folder's real OS path inside ``root_dir``; refuses hidden parts (unless the contents
    manager allows them), anything outside root_dir after symlinks are followed, and non-folders."""
    parts = path.split("/") if path else []
    if not allow_hidden and any(p.startswith(".") for p in parts):
        raise RequestError(400, "hidden_path", "path passes through a hidden folder", "path")
    root_real = os.path.realpath(root_dir)
    real = os.path.realpath(os.path.join(root_real, *parts))
    if real != root_real and not real.startswith(root_real + os.sep):
        raise RequestError(400, "outside_root", "path leads outside the server's root folder", "path")
    inside = os.path.relpath(real, root_real).split(os.sep) if real != root_real else []
    if not allow_hidden and any(p.startswith(".") for p in inside):
        raise RequestError(400, "hidden_path", "path leads into a hidden folder", "path")
    if not os.path.exists(real):
        raise RequestError(404, "not_found", f"no folder {path!r}", "path")
    if not os.path.isdir(real):
        raise RequestError(400, "not_a_folder", f"{path!r} is not a folder", "path")
    return real
