"""Packing a folder for an upload (jupyterlab_repo2docker/folder_pack.py, folder_ignore.py): what
goes in, what is refused, when it stops, and the digest the service will recompute."""

import hashlib
import io
import os
import posixpath
import socket
import stat
import tarfile

import pytest

from jupyterlab_repo2docker import folder_pack
from jupyterlab_repo2docker.folder_pack import Entry, Limits, PackError, collect, pack_folder, write_archive

ROOMY = Limits(max_bytes=10 * 1024 * 1024, max_files=10_000)


def make(root, files):
    """files: {relative path: text}; a path ending in "/" is an empty directory."""
    for rel, text in files.items():
        path = root / rel
        if rel.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def pack(root, limits=ROOMY):
    out = io.BytesIO()
    result = pack_folder(str(root), out, limits)
    out.seek(0)
    return result, tarfile.open(fileobj=out, mode="r:gz")


def names(tar):
    return [m.name for m in tar.getmembers()]


def reference_digest(tar):
    """The digest exactly as /work/coord/folder-design.md specifies it, from an archive's members:
    the service's own implementation must agree with this one."""
    records = []
    for m in tar.getmembers():
        if m.isdir():
            kind, mode, payload = "d", "755", ""
        elif m.issym():
            kind, mode, payload = "l", "777", m.linkname
        else:
            kind = "f"
            mode = "755" if m.mode & 0o100 else "644"
            payload = hashlib.sha256(tar.extractfile(m).read()).hexdigest()
        records.append((m.name.encode(), b"\0".join([m.name.encode(), kind.encode(), mode.encode(), payload.encode()]) + b"\n"))
    h = hashlib.sha256()
    for _, record in sorted(records):
        h.update(record)
    return "sha256:" + h.hexdigest()


# --- .gitignore -------------------------------------------------------------------------------


def test_gitignore_patterns_apply_at_any_depth_and_deeper_files_override(tmp_path):
    make(tmp_path, {
        ".gitignore": "*.log\nbuild/\n/top-only.txt\n",
        "a.log": "", "keep.py": "", "top-only.txt": "", "sub/top-only.txt": "",
        "sub/b.log": "", "build/out.bin": "", "sub/build/x": "",
        "sub/.gitignore": "!b.log\n",
    })
    _, tar = pack(tmp_path)
    assert names(tar) == [".gitignore", "keep.py", "sub", "sub/.gitignore", "sub/b.log", "sub/top-only.txt"]


def test_gitignore_cannot_reinclude_a_file_inside_an_excluded_directory(tmp_path):
    # git never looks inside an excluded directory, so "!build/keep" has no effect.
    make(tmp_path, {".gitignore": "build/\n!build/keep\n", "build/keep": "", "src.py": ""})
    _, tar = pack(tmp_path)
    assert names(tar) == [".gitignore", "src.py"]


def test_a_symlinked_gitignore_is_not_followed(tmp_path):
    make(tmp_path, {"rules": "*.py\n", "a.py": ""})
    os.symlink("rules", tmp_path / ".gitignore")
    _, tar = pack(tmp_path)
    assert "a.py" in names(tar)


def test_the_git_directory_is_always_left_out(tmp_path):
    make(tmp_path, {".git/HEAD": "ref: refs/heads/main\n", ".git/objects/ab/cd": "x", "a.txt": "", "sub/.git": "gitdir: x"})
    _, tar = pack(tmp_path)
    assert names(tar) == ["a.txt", "sub"]


# --- .dockerignore ----------------------------------------------------------------------------


def test_dockerignore_patterns_are_anchored_at_the_top(tmp_path):
    make(tmp_path, {
        ".dockerignore": "# comment\n*.pyc\n**/*.tmp\n  /secret  \n./docs/\n",
        "a.pyc": "", "pkg/b.pyc": "", "c.tmp": "", "pkg/d.tmp": "", "secret": "", "pkg/secret": "", "docs/index.md": "",
    })
    _, tar = pack(tmp_path)
    assert names(tar) == [".dockerignore", "pkg", "pkg/b.pyc", "pkg/secret"]


def test_dockerignore_exceptions_reinclude_files_inside_an_excluded_directory(tmp_path):
    make(tmp_path, {
        ".dockerignore": "data\n!data/keep.csv\n*.md\n!README.md\n",
        "data/keep.csv": "1", "data/drop.csv": "2", "data/deep/drop.csv": "3",
        "README.md": "", "NOTES.md": "", "environment.yml": "",
    })
    _, tar = pack(tmp_path)
    assert names(tar) == [".dockerignore", "README.md", "data", "data/keep.csv", "environment.yml"]


def test_dockerignore_and_gitignore_both_apply(tmp_path):
    make(tmp_path, {".dockerignore": "a\n", ".gitignore": "b\n", "a": "", "b": "", "c": ""})
    _, tar = pack(tmp_path)
    assert names(tar) == [".dockerignore", ".gitignore", "c"]


# --- symlinks and special files ---------------------------------------------------------------


def test_symlinks_inside_the_folder_are_kept_as_relative_links(tmp_path):
    root = make(tmp_path / "proj", {"data/a.csv": "1", "sub/x": ""})
    os.symlink("../data/a.csv", root / "sub" / "rel")
    os.symlink(str(root / "data"), root / "abs-dir")  # absolute, but into the folder
    os.symlink("../proj/data/a.csv", root / "via-name")  # leaves by name, comes back: rewritten
    _, tar = pack(root)
    links = {m.name: m.linkname for m in tar.getmembers() if m.issym()}
    assert links == {"abs-dir": "data", "sub/rel": "../data/a.csv", "via-name": "data/a.csv"}


@pytest.mark.parametrize("target", ["/etc", "/etc/passwd", "../outside.txt", "sub/../../outside.txt"])
def test_symlinks_that_leave_the_folder_are_refused(tmp_path, target):
    root = make(tmp_path / "proj", {"a.txt": "", "sub/b": ""})
    (tmp_path / "outside.txt").write_text("secret")
    os.symlink(target, root / "escape")
    with pytest.raises(PackError) as refused:
        pack(root)
    assert (refused.value.status, refused.value.code, refused.value.path) == (400, "link_outside", "escape")


def test_a_chain_of_links_that_ends_outside_is_refused(tmp_path):
    root = make(tmp_path / "proj", {"a.txt": ""})
    os.symlink("/etc", root / "hop2")
    os.symlink("hop2", root / "hop1")
    with pytest.raises(PackError) as refused:
        collect(str(root), ROOMY)
    assert refused.value.code == "link_outside"


def test_an_ignored_escaping_link_is_simply_left_out(tmp_path):
    root = make(tmp_path / "proj", {".dockerignore": "etc\n", "a.txt": ""})
    os.symlink("/etc", root / "etc")
    _, tar = pack(root)
    assert names(tar) == [".dockerignore", "a.txt"]


def test_a_directory_symlink_is_not_walked_into(tmp_path):
    root = make(tmp_path / "proj", {"real/a": "1"})
    os.symlink("real", root / "alias")
    _, tar = pack(root)
    assert names(tar) == ["alias", "real", "real/a"]
    assert tar.getmember("alias").issym()


def test_fifos_and_sockets_are_refused(tmp_path):
    root = make(tmp_path / "proj", {"a.txt": ""})
    os.mkfifo(root / "pipe")
    with pytest.raises(PackError) as refused:
        collect(str(root), ROOMY)
    assert (refused.value.code, refused.value.path) == ("unsupported_file", "pipe")
    os.unlink(root / "pipe")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(root / "sock"))
        with pytest.raises(PackError) as refused:
            collect(str(root), ROOMY)
        assert "a socket" in refused.value.message
    finally:
        server.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device file needs root")
def test_device_files_are_refused(tmp_path):
    root = make(tmp_path / "proj", {"a.txt": ""})
    os.mknod(root / "null", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    with pytest.raises(PackError) as refused:
        collect(str(root), ROOMY)
    assert (refused.value.status, refused.value.code) == (400, "unsupported_file")
    assert "device" in refused.value.message


def test_names_that_are_not_utf8_or_hold_control_characters_are_refused(tmp_path):
    root = make(tmp_path / "proj", {"a.txt": ""})
    bad = os.path.join(os.fsencode(root), b"\xff.txt")
    open(bad, "w").close()
    with pytest.raises(PackError) as refused:
        collect(str(root), ROOMY)
    assert refused.value.code == "bad_name"
    os.unlink(bad)
    (root / "line\nbreak").write_text("")
    with pytest.raises(PackError) as refused:
        collect(str(root), ROOMY)
    assert refused.value.code == "bad_name"


# --- limits: refused early --------------------------------------------------------------------


def count_stats(monkeypatch):
    calls = []
    real = os.stat

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(folder_pack.os, "stat", counting)
    return calls


def test_too_many_files_stops_the_walk_at_the_limit(tmp_path, monkeypatch):
    make(tmp_path, {f"f{i:04}": "" for i in range(1000)})
    stats = count_stats(monkeypatch)
    with pytest.raises(PackError) as refused:
        collect(str(tmp_path), Limits(max_bytes=10**9, max_files=10))
    assert (refused.value.status, refused.value.code) == (413, "too_many_files")
    assert len(stats) == 11  # ten accepted, the eleventh refused: the other 989 never looked at


def test_too_many_bytes_stops_before_any_content_is_read(tmp_path, monkeypatch):
    with open(tmp_path / "a-big.bin", "wb") as f:
        f.truncate(5 * 1024 * 1024)  # sparse: 5 MiB by its size, nothing on disk
    make(tmp_path, {f"z{i:03}": "x" for i in range(500)})
    stats = count_stats(monkeypatch)
    monkeypatch.setattr(folder_pack, "write_archive", lambda *a: pytest.fail("contents were read"))
    with pytest.raises(PackError) as refused:
        pack_folder(str(tmp_path), io.BytesIO(), Limits(max_bytes=1024 * 1024, max_files=10_000))
    assert (refused.value.status, refused.value.code) == (413, "too_large")
    assert len(stats) == 1


def test_a_file_that_grows_past_the_limit_between_the_passes_is_refused(tmp_path):
    make(tmp_path, {"a.txt": "small"})
    limits = Limits(max_bytes=100, max_files=10)
    entries = collect(str(tmp_path), limits)
    (tmp_path / "a.txt").write_text("x" * 1000)
    with pytest.raises(PackError) as refused:
        write_archive(str(tmp_path), entries, io.BytesIO(), limits)
    assert refused.value.code == "too_large"


def test_a_file_swapped_for_a_symlink_between_the_passes_is_not_followed(tmp_path):
    root = make(tmp_path / "proj", {"a.txt": "mine"})
    entries = collect(str(root), ROOMY)
    os.unlink(root / "a.txt")
    os.symlink("/etc/passwd", root / "a.txt")
    with pytest.raises(PackError) as refused:
        write_archive(str(root), entries, io.BytesIO(), ROOMY)
    assert refused.value.code == "changed"


# --- the archive's members and the digest -----------------------------------------------------


def test_members_are_never_absolute_nor_hold_dotdot_and_links_stay_inside(tmp_path):
    root = make(tmp_path / "proj", {"a/b/c/d.txt": "1", "x/y.txt": "2", ".binder/requirements.txt": "numpy\n"})
    os.symlink("../../../x/y.txt", root / "a" / "b" / "c" / "up")
    os.symlink(str(root / "a"), root / "x" / "abs")
    os.symlink("../proj/x", root / "a" / "around")
    result, tar = pack(root)
    assert result.files == len(tar.getmembers()) == 11
    for m in tar.getmembers():
        assert not m.name.startswith("/") and ".." not in m.name.split("/"), m.name
        assert m.uid == m.gid == 0 and m.uname == m.gname == ""
        if m.issym():
            landed = posixpath.normpath(posixpath.join(posixpath.dirname(m.name), m.linkname))
            assert not landed.startswith("..") and not posixpath.isabs(landed), (m.name, m.linkname)
    assert ".binder/requirements.txt" in names(tar)  # hidden files inside the folder are build input


def test_the_writer_refuses_to_emit_an_absolute_or_dotdot_member():
    for path in ["/etc/passwd", "../x", "a/../b", "a//b", "./a"]:
        with pytest.raises(AssertionError):
            write_archive("/", [Entry(path, "d", 0o755)], io.BytesIO(), ROOMY)


def test_the_digest_is_stable_and_ignores_times(tmp_path):
    make(tmp_path, {"a.txt": "1", "sub/b.txt": "2", "empty/": ""})
    first, tar = pack(tmp_path)
    os.utime(tmp_path / "a.txt", (1, 1))
    second, _ = pack(tmp_path)
    assert first.digest == second.digest
    assert first.digest == reference_digest(tar)
    assert first.digest.startswith("sha256:") and len(first.digest) == 71


@pytest.mark.parametrize("change", ["content", "mode", "rename", "new-empty-dir", "link-target"])
def test_the_digest_follows_content_modes_names_and_links(tmp_path, change):
    root = make(tmp_path, {"a.txt": "1", "b.txt": "2"})
    os.symlink("a.txt", root / "l")
    before, _ = pack(root)
    if change == "content":
        (root / "a.txt").write_text("3")
    elif change == "mode":
        os.chmod(root / "a.txt", 0o755)
    elif change == "rename":
        os.rename(root / "b.txt", root / "c.txt")
    elif change == "new-empty-dir":
        (root / "d").mkdir()
    else:
        os.unlink(root / "l")
        os.symlink("b.txt", root / "l")
    after, tar = pack(root)
    assert after.digest != before.digest
    assert after.digest == reference_digest(tar)


def test_file_modes_are_normalised_like_git(tmp_path):
    make(tmp_path, {"run.sh": "#!/bin/sh\n", "data.txt": ""})
    os.chmod(tmp_path / "run.sh", 0o700)
    os.chmod(tmp_path / "data.txt", 0o600)
    _, tar = pack(tmp_path)
    assert {m.name: m.mode for m in tar.getmembers()} == {"data.txt": 0o644, "run.sh": 0o755}


def test_memory_stays_bounded_for_a_large_file(tmp_path):
    # 64 MiB of sparse file streams through in chunks; the digest matches an independent hash.
    with open(tmp_path / "big.bin", "wb") as f:
        f.truncate(64 * 1024 * 1024)
    out = open(tmp_path.parent / "big.tar.gz", "w+b")
    reads = []
    real_read = folder_pack._HashingReader.read

    def watched(self, n=folder_pack.CHUNK):
        reads.append(n)
        return real_read(self, n)

    folder_pack._HashingReader.read = watched
    try:
        result = pack_folder(str(tmp_path), out, Limits(max_bytes=100 * 1024 * 1024, max_files=10))
    finally:
        folder_pack._HashingReader.read = real_read
        out.close()
    assert result.bytes == 64 * 1024 * 1024
    assert reads and max(reads) <= 1024 * 1024
    content = hashlib.sha256(b"\0" * (64 * 1024 * 1024)).hexdigest()
    expected = hashlib.sha256(b"big.bin\0f\x00644\0" + content.encode() + b"\n").hexdigest()
    assert result.digest == "sha256:" + expected
