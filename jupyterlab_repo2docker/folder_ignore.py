"""Which paths of a folder stay out of its upload: ``.gitignore`` (git's rules) and ``.dockerignore``
(Docker's rules), both matched with ``pathspec``.

The two differ, and each is kept true to its own tool:

- ``.gitignore`` files may sit in any directory and apply below it; a deeper file overrides a
  shallower one; within a file the last matching line wins; a pattern without a slash matches at any
  depth; and a file inside an excluded directory cannot be re-included (git never looks inside).
- ``.dockerignore`` is read at the top only; every pattern is anchored at the top (``*.pyc`` is only
  the top level's, ``**/*.pyc`` is every level's); the last matching line wins; and a ``!`` line *can*
  re-include a file inside an excluded directory, so such directories must still be walked.

Paths are relative, ``/``-separated, without a leading slash; directories are asked with ``is_dir``.
"""

from __future__ import annotations

import posixpath
from typing import Iterable, List, Optional, Tuple

from pathspec import GitIgnoreSpec

# Always left out: the folder's git metadata is history, not build input (provenance here is the
# folder's path and content digest, not a commit).
ALWAYS_EXCLUDED = frozenset({".git"})


def docker_patterns(lines: Iterable[str]) -> List[str]:
    """``.dockerignore`` lines rewritten as anchored gitwildmatch lines, the way Docker reads them.

    Docker (moby/patternmatcher) strips surrounding whitespace, skips blank and ``#`` lines, takes a
    leading ``!`` as an exception, cleans the path (``./a//b/`` is ``a/b``) and drops a leading
    slash; a pattern then matches a path or any of its parent directories from the top only.
    """
    out = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:].strip()
        line = posixpath.normpath(line.replace("\\", "/")).lstrip("/") if line else ""
        if not line or line == ".":
            continue  # "." would mean the whole context: Docker never leaves that out either
        out.append(("!/" if negate else "/") + line)
    return out


def _decided(spec: GitIgnoreSpec, path: str) -> Optional[bool]:
    """True when the spec's last matching line excludes ``path``, False when it re-includes, None when no line matches."""
    return spec.check_file(path).include


class DockerIgnore:
    """The top-level ``.dockerignore`` of a folder (possibly empty)."""

    def __init__(self, text: str = ""):
        patterns = docker_patterns(text.splitlines())
        self.spec = GitIgnoreSpec.from_lines(patterns)
        # With an exception line anywhere, an excluded directory may still hold included files.
        self.has_exceptions = any(p.startswith("!") for p in patterns)

    def excluded(self, path: str, is_dir: bool) -> bool:
        if not self.spec.patterns:
            return False
        return bool(_decided(self.spec, path + "/" if is_dir else path))


class GitIgnore:
    """The ``.gitignore`` files met so far, one per directory, deepest deciding first."""

    def __init__(self) -> None:
        self._specs: dict = {}  # directory ("" for the top) -> GitIgnoreSpec

    def add(self, directory: str, text: str) -> None:
        spec = GitIgnoreSpec.from_lines(text.splitlines())
        if spec.patterns:
            self._specs[directory] = spec

    def _ancestors(self, path: str) -> List[Tuple[str, str]]:
        """(directory, path relative to it) for each directory above ``path``, deepest first."""
        parts = path.split("/")
        return [("/".join(parts[:i]), "/".join(parts[i:])) for i in range(len(parts) - 1, -1, -1)]

    def excluded(self, path: str, is_dir: bool) -> bool:
        for directory, rest in self._ancestors(path):
            spec = self._specs.get(directory)
            if spec is None:
                continue
            decided = _decided(spec, rest + "/" if is_dir else rest)
            if decided is not None:
                return decided
        return False


class IgnoreRules:
    """Both files together: a path stays out when either excludes it (or it is ``.git``)."""

    def __init__(self, dockerignore: str = ""):
        self.docker = DockerIgnore(dockerignore)
        self.git = GitIgnore()

    def excluded(self, path: str, is_dir: bool) -> bool:
        if path.split("/")[-1] in ALWAYS_EXCLUDED:
            return True
        return self.git.excluded(path, is_dir) or self.docker.excluded(path, is_dir)

    def descend_into_excluded(self, path: str) -> bool:
        """Whether an excluded directory must still be walked: only for Docker exception lines, and
        never when git (or the always-excluded list) left it out, since git cannot re-include."""
        if path.split("/")[-1] in ALWAYS_EXCLUDED or self.git.excluded(path, True):
            return False
        return self.docker.has_exceptions
