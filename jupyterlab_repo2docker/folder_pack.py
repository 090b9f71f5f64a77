"""Pack a folder into a tar.gz for the service to build from, with a content digest.

Two passes, both bounded: ``collect`` walks metadata only (lstat, no file contents) and stops at
the first entry past the file or byte limit; ``write_archive`` then streams each file through
tarfile and the digest in fixed-size chunks. Every open is beneath the folder's own directory
descriptor with ``O_NOFOLLOW``, so a directory swapped for a symlink between the passes cannot take
the archive outside the folder.

What goes in: regular files, directories, and symlinks whose target resolves inside the folder
(written as a relative link, so it stays inside wherever the service unpacks it). What is refused
(unless ignored): symlinks that leave the folder, device files, fifos, sockets, names that are not
UTF-8 or hold control characters or backslashes. Members are never absolute and never hold ``..``.

The digest (``sha256:<hex>``) is the same algorithm the service recomputes from what it unpacked
(see /work/coord/folder-design.md): for each member in order of its path's UTF-8 bytes,
``path NUL kind NUL mode NUL payload LF`` where kind is ``f``/``d``/``l``, mode the normalised
octal (``644``/``755`` files, ``755`` directories, ``777`` links) and payload the file's sha256
hex, the link's target, or nothing. Modification times and owners are not part of it.
"""

from __future__ import annotations

import errno
import hashlib
import os
import posixpath
import re
import stat
import tarfile
from dataclasses import dataclass
from typing import BinaryIO, List, Optional

from .folder_ignore import IgnoreRules

CHUNK = 1 << 16
MAX_IGNORE_FILE_BYTES = 1 << 20  # a .gitignore larger than this is not a real one
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f\\]")
_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


class PackError(Exception):
    """A folder that cannot be packed: ``status`` 400 (what is in it) or 413 (how much)."""

    def __init__(self, status: int, code: str, message: str, path: Optional[str] = None):
        super().__init__(message)
        self.status, self.code, self.message, self.path = status, code, message, path


@dataclass(frozen=True)
class Limits:
    max_bytes: int  # total of the regular files' sizes (what the service unpacks)
    max_files: int  # members of every kind: files, directories, symlinks


@dataclass(frozen=True)
class Entry:
    path: str  # relative, "/"-separated, never absolute, never with ".."
    kind: str  # "f" file, "d" directory, "l" symlink
    mode: int  # normalised: 0o644/0o755 files, 0o755 directories, 0o777 links
    size: int = 0
    link: str = ""  # relative target of a symlink, inside the folder
    mtime: int = 0


@dataclass(frozen=True)
class PackResult:
    digest: str
    files: int  # members written
    bytes: int  # total of the files' contents
    archive_bytes: int  # size of the tar.gz


def _file_mode(st_mode: int) -> int:
    return 0o755 if st_mode & stat.S_IXUSR else 0o644


def _member_name(parent: str, raw: bytes) -> str:
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        shown = raw.decode("utf-8", "replace")
        raise PackError(400, "bad_name", f"{posixpath.join(parent, shown)!r} is not a UTF-8 name", parent or ".")
    path = posixpath.join(parent, name) if parent else name
    if _BAD_NAME.search(name):
        raise PackError(400, "bad_name", f"{path!r} holds a control character or a backslash", path)
    return path


def _check_inside(path: str) -> str:
    # On disk a name is never "." or ".." (scandir leaves them out), so this cannot fire; it is the
    # promise made to the service, kept by an assertion rather than by trust.
    parts = path.split("/")
    if path.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise AssertionError(f"refusing to write member {path!r}")
    return path


def _read_small(dir_fd: int, name: str) -> str:
    """A .gitignore or .dockerignore beneath ``dir_fd``; a symlink or a non-file counts as absent (as git does)."""
    try:
        fd = os.open(name, _OPEN_FILE, dir_fd=dir_fd)
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ELOOP, errno.ENOTDIR, errno.EACCES, errno.ENXIO):
            return ""
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_IGNORE_FILE_BYTES:
            return ""
        return os.read(fd, MAX_IGNORE_FILE_BYTES).decode("utf-8", "replace")
    finally:
        os.close(fd)


def _link_target(root_real: str, path: str) -> str:
    """The relative link to write for the symlink at ``path``, or PackError when it leaves the folder.

    Resolved on disk (following chains through other links), then rewritten relative to the link's
    own directory: an absolute link into the folder, or one like ``../<folder>/x``, stays correct
    wherever the folder is unpacked.
    """
    resolved = os.path.realpath(os.path.join(root_real, path))
    if resolved != root_real and not resolved.startswith(root_real + os.sep):
        raise PackError(400, "link_outside", f"{path!r} is a symlink that leads outside the folder", path)
    link = os.path.relpath(resolved, os.path.join(root_real, posixpath.dirname(path)))
    return link.replace(os.sep, "/")


class _Walk:
    def __init__(self, root_real: str, limits: Limits):
        self.root_real, self.limits = root_real, limits
        self.entries: List[Entry] = []
        self.total = 0

    def _check_count(self) -> None:
        if len(self.entries) > self.limits.max_files:
            raise PackError(
                413, "too_many_files", f"the folder has more than {self.limits.max_files} files and directories to upload"
            )

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        self._check_count()
        self.total += entry.size
        if self.total > self.limits.max_bytes:
            raise PackError(413, "too_large", f"the folder holds more than {self.limits.max_bytes} bytes to upload")

    def walk(self, dir_fd: int, parent: str, rules: IgnoreRules) -> bool:
        """Walk one directory; returns whether anything beneath it was kept."""
        rules.git.add(parent, _read_small(dir_fd, ".gitignore"))
        kept = False
        with os.scandir(dir_fd) as it:
            names = sorted(e.name for e in it)  # scandir on an fd yields str names (surrogate-escaped)
        for name in names:
            path = _member_name(parent, os.fsencode(name))
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            is_dir = stat.S_ISDIR(st.st_mode)
            excluded = rules.excluded(path, is_dir)
            if is_dir:
                if excluded and not rules.descend_into_excluded(path):
                    continue
                child = os.open(name, _OPEN_DIR, dir_fd=dir_fd)
                try:
                    index = len(self.entries)
                    if not excluded:
                        self.add(Entry(path, "d", 0o755, mtime=int(max(st.st_mtime, 0))))
                    below = self.walk(child, path, rules)
                    if excluded and below:
                        # An excluded directory that an exception line reaches into: its entry comes
                        # first, as the parent of what was kept.
                        self.entries.insert(index, Entry(path, "d", 0o755, mtime=int(max(st.st_mtime, 0))))
                        self._check_count()
                    kept = kept or below or not excluded
                finally:
                    os.close(child)
                continue
            if excluded:
                continue
            if stat.S_ISREG(st.st_mode):
                self.add(Entry(path, "f", _file_mode(st.st_mode), size=st.st_size, mtime=int(max(st.st_mtime, 0))))
            elif stat.S_ISLNK(st.st_mode):
                self.add(Entry(path, "l", 0o777, link=_link_target(self.root_real, path), mtime=int(max(st.st_mtime, 0))))
            else:
                kind = "a device file" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else (
                    "a fifo" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file"
                )
                raise PackError(400, "unsupported_file", f"{path!r} is {kind}: leave it out with .dockerignore", path)
            kept = True
        return kept


def open_folder(root: str) -> int:
    """A directory descriptor for ``root`` itself, refusing a root that is a symlink."""
    try:
        return os.open(root, _OPEN_DIR)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENOTDIR):
            raise PackError(400, "not_a_folder", "the path is not a folder (or is a symlink)", "path")
        if e.errno == errno.ENOENT:
            raise PackError(404, "not_found", "no such folder", "path")
        raise


def collect(root: str, limits: Limits) -> List[Entry]:
    """Every member to upload, sorted by path bytes; PackError at the first thing refused or over a limit."""
    root_real = os.path.realpath(root)
    fd = open_folder(root_real)
    try:
        rules = IgnoreRules(_read_small(fd, ".dockerignore"))
        walk = _Walk(root_real, limits)
        walk.walk(fd, "", rules)
    finally:
        os.close(fd)
    return sorted(walk.entries, key=lambda e: e.path.encode("utf-8"))


class _HashingReader:
    """A file read by tarfile, hashed on the way, never more than ``size`` bytes."""

    def __init__(self, fd: int):
        self.file = os.fdopen(fd, "rb", buffering=0)
        self.hash = hashlib.sha256()

    def read(self, n: int = CHUNK) -> bytes:
        data = self.file.read(n)
        self.hash.update(data)
        return data


def _open_beneath(root_fd: int, path: str) -> int:
    """Open the regular file at ``path`` one component at a time, following no symlink anywhere."""
    parts = path.split("/")
    fd = os.dup(root_fd)
    try:
        for part in parts[:-1]:
            child = os.open(part, _OPEN_DIR, dir_fd=fd)
            os.close(fd)
            fd = child
        return os.open(parts[-1], _OPEN_FILE, dir_fd=fd)
    except OSError as e:
        raise PackError(400, "changed", f"{path!r} changed while it was being packed ({e.strerror})", path)
    finally:
        os.close(fd)


def digest_record(entry: Entry, payload: str) -> bytes:
    return b"\0".join([entry.path.encode(), entry.kind.encode(), f"{entry.mode:o}".encode(), payload.encode()]) + b"\n"


def write_archive(root: str, entries: List[Entry], out: BinaryIO, limits: Limits) -> PackResult:
    """Stream ``entries`` (from ``collect``) into ``out`` as tar.gz; sizes are re-read at open time
    and held to the limit again, since files may grow between the passes."""
    digest = hashlib.sha256()
    total = 0
    start = out.tell()
    root_fd = open_folder(os.path.realpath(root))
    try:
        # Level 1: the archive crosses loopback or a cluster network, where bytes are cheap and
        # packing time is what the user waits on (level 6 took most of a 50 MB folder's upload).
        with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.PAX_FORMAT, compresslevel=1) as tar:
            for entry in entries:
                info = tarfile.TarInfo(_check_inside(entry.path))
                info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = entry.mode, entry.mtime, 0, 0, "", ""
                if entry.kind == "d":
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                    digest.update(digest_record(entry, ""))
                elif entry.kind == "l":
                    info.type, info.linkname = tarfile.SYMTYPE, entry.link
                    tar.addfile(info)
                    digest.update(digest_record(entry, entry.link))
                else:
                    fd = _open_beneath(root_fd, entry.path)
                    reader = _HashingReader(fd)
                    try:
                        st = os.fstat(fd)
                        if not stat.S_ISREG(st.st_mode):
                            raise PackError(400, "changed", f"{entry.path!r} is no longer a regular file", entry.path)
                        total += st.st_size
                        if total > limits.max_bytes:
                            raise PackError(413, "too_large", f"the folder holds more than {limits.max_bytes} bytes to upload")
                        info.size = st.st_size
                        tar.addfile(info, reader)
                    except OSError as e:  # tarfile's "unexpected end of data": the file shrank meanwhile
                        raise PackError(400, "changed", f"{entry.path!r} changed while it was being packed", entry.path) from e
                    finally:
                        reader.file.close()
                    digest.update(digest_record(entry, reader.hash.hexdigest()))
    finally:
        os.close(root_fd)
    return PackResult("sha256:" + digest.hexdigest(), len(entries), total, out.tell() - start)


def pack_folder(root: str, out: BinaryIO, limits: Limits) -> PackResult:
    """``collect`` then ``write_archive``: the whole packing, for the handler's worker thread."""
    return write_archive(root, collect(root, limits), out, limits)
