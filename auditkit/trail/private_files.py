"""Create, open and remove the kit's own files without following anything someone else planted.

Standard library only (the hook's path). Every file auditkit writes — trails, segments, the
manifest, seal logs, keys, the hook's ``.pending`` and ``.spill`` entries — goes through here:

- the folder that holds it is opened with ``O_NOFOLLOW | O_DIRECTORY`` and must be a real folder
  owned by the user running auditkit (a symlink planted there, by a cloned repository for
  instance, is refused);
- the file is opened relative to that folder (``dir_fd``) with ``O_NOFOLLOW | O_NONBLOCK``, so a
  symlink, a FIFO or a device at its name is refused rather than written through or waited on;
- temporary files get a fresh random name and ``O_EXCL``;
- folders the kit creates, the intermediate ones included, are 0700 and files 0600 (0644 for a
  public key) whatever the umask: the mode is set with ``fchmod`` after creation.

Refusals raise :class:`auditkit.errors.UnsafePath`, one line naming the path and what was found there.
"""

from auditkit.trail._startup_os import os

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~9 ms
if TYPE_CHECKING:
    from os import stat_result

_S_IFMT, _S_IFREG, _S_IFDIR = 0o170000, 0o100000, 0o040000
DIR_MODE = 0o700
FILE_MODE = 0o600
PUBLIC_MODE = 0o644


def _kind(mode: int) -> str:
    fmt = mode & _S_IFMT
    return {
        _S_IFREG: "a file",
        _S_IFDIR: "a folder",
        0o120000: "a symlink",
        0o010000: "a FIFO",
        0o140000: "a socket",
        0o020000: "a device",
        0o060000: "a device",
    }.get(fmt, "something else")


def _refuse(path: str, what: str) -> OSError:
    from auditkit.errors import UnsafePath  # only on a refusal: the hook's usual path never pays for the import

    return UnsafePath(f"{path}: {what}; refusing to write there (remove it, or choose another trail path)")


def _check_owner(st: "stat_result", path: str, folder: bool = False) -> None:
    """Owned by this user; a folder may also be root's, when only root can write in it."""
    uid, owner, mode = os.geteuid(), st.st_uid, st.st_mode
    if owner == uid or (folder and owner == 0 and not mode & 0o022):
        return
    raise _refuse(path, f"owned by uid {owner}, not by uid {uid}")


def _make_dirs(path: str) -> None:
    """Create ``path`` and any missing parent, each 0700 whatever the umask."""
    missing = []
    p = path
    while p and p not in ("/", "."):
        try:
            os.stat(p)
            break
        except FileNotFoundError:
            missing.append(p)
            p = os.path.dirname(p.rstrip("/"))
    for d in reversed(missing):
        try:
            os.mkdir(d, DIR_MODE)
        except FileExistsError:
            continue  # another process made it: the checks on open still apply
        os.chmod(d, DIR_MODE, follow_symlinks=False)


def _project_split(path: str) -> tuple[str, list[str]] | None:
    """(project root, components from it down) when ``path`` lies in a project's ``.claude`` folder, else None."""
    at = path.rfind("/.claude")
    if at < 0 or path[at + 8 : at + 9] not in ("", "/"):
        if not path.startswith(".claude") or path[7:8] not in ("", "/"):
            return None
        at = -1
    rest = [p for p in path[at + 1 :].split("/") if p and p != "."]
    if ".." in rest:
        return None  # not a plain path below the project: checked the ordinary way
    return (path[:at] or "/") if at >= 0 else ".", rest


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def _walk(path: str, root: str, rest: list[str], create: bool) -> int:
    """Open ``root`` (as given: the user's own path may pass through links) and then each of ``rest`` in turn,
    relative to the one before, with ``O_NOFOLLOW | O_DIRECTORY``: a link anywhere from the project root down
    (a repository's ``.claude`` or ``.claude/logs`` pointing into another project) is refused, never followed."""
    flags = _DIR_FLAGS | os.O_NOFOLLOW
    try:
        fd = os.open(root, _DIR_FLAGS)
    except FileNotFoundError:
        if not create:
            raise
        _make_dirs(root)
        fd = os.open(root, _DIR_FLAGS)
    try:
        for i, name in enumerate(rest):
            try:
                nfd = os.open(name, flags, dir_fd=fd)
            except OSError as exc:
                nfd = _walk_step(fd, name, create, exc, f"{root.rstrip('/')}/{'/'.join(rest[: i + 1])}")
            os.close(fd)
            fd = nfd
    except BaseException:
        os.close(fd)
        raise
    return fd


def _walk_step(fd: int, name: str, create: bool, exc: OSError, where: str) -> int:
    """The slow path of one component: create a missing folder (0700), or refuse what is not a folder."""
    if isinstance(exc, FileNotFoundError):
        if not create:
            raise exc
        try:
            os.mkdir(name, DIR_MODE, dir_fd=fd)
            made = True
        except FileExistsError:
            made = False
        nfd = os.open(name, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
        if made:
            os.fchmod(nfd, DIR_MODE)
        return nfd
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except OSError:
        raise exc from None
    raise _refuse(where, f"is {_kind(st.st_mode)}, not a folder") from None


#: The hook turns this on (one event per process): project folders already walked and checked, kept open, so
#: ``.spill`` and ``.pending`` are opened relative to the trail's folder instead of walking from the root again.
walked: dict[str, int] | None = None


def _walked(path: str, split: tuple[str, list[str]], create: bool) -> int:
    cache = walked
    assert cache is not None
    fd = cache.get(path)
    if fd is not None:
        return fd
    parent, _, name = path.rpartition("/")
    pfd = cache.get(parent)
    if pfd is None or name in ("", ".", ".."):
        fd = _owned_dir(_walk(path, *split, create), path)
    else:
        try:
            fd = os.open(name, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=pfd)
        except OSError as exc:
            fd = _walk_step(pfd, name, create, exc, path)
        fd = _owned_dir(fd, path)
    cache[path] = fd
    return fd


def open_dir(path: str, create: bool = True) -> int:
    """Open the folder at ``path`` (created 0700 if missing) for ``*_in`` calls; it must be a real, owned folder.

    Inside a project (a path through a ``.claude`` folder) every component from the project root down is
    opened without following links (see :func:`_walk`); elsewhere the folder itself must not be a link.
    """
    path = path or "."
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    split = _project_split(path)
    if split:
        if walked is None:
            return _owned_dir(_walk(path, *split, create), path)
        return os.dup(_walked(path, split, create))
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if not create:
            raise
        _make_dirs(path)
        fd = os.open(path, flags)
    except OSError as exc:
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            raise exc from None
        raise _refuse(path, f"is {_kind(st.st_mode)}, not a folder") from None
    return _owned_dir(fd, path)


def _owned_dir(fd: int, path: str) -> int:
    st = os.fstat(fd)
    try:
        _check_owner(st, path, folder=True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_in(dir_fd: int, name: str, flags: int, mode: int = FILE_MODE, *, where: str = "") -> int:
    """Open ``name`` inside an opened folder, never through a link; it must be a regular, owned file.

    A file this call creates gets exactly ``mode``; an existing one of another mode is set to it.
    """
    label = f"{where}/{name}" if where else name
    try:
        fd = os.open(name, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode, dir_fd=dir_fd)
    except OSError as exc:
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            raise exc from None
        if st.st_mode & _S_IFMT != _S_IFREG:
            raise _refuse(label, f"is {_kind(st.st_mode)}, not a regular file") from None
        raise
    try:
        st = os.fstat(fd)
        if st.st_mode & _S_IFMT != _S_IFREG:
            raise _refuse(label, f"is {_kind(st.st_mode)}, not a regular file")
        _check_owner(st, label)
        if st.st_mode & 0o7777 != mode:
            os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_file(path: str, flags: int, mode: int = FILE_MODE) -> int:
    """Open (or create) a kit file at ``path``: its folder checked (and made 0700), the file never a link."""
    folder = os.path.dirname(path) or "."
    dfd = open_dir(folder, create=bool(flags & os.O_CREAT))
    try:
        return open_in(dfd, path[len(folder) + 1 :] if os.path.dirname(path) else path, flags, mode, where=folder)
    finally:
        os.close(dfd)


def temp_in(dir_fd: int, prefix: str, mode: int = FILE_MODE, *, where: str = "") -> tuple[int, str]:
    """A new temporary file in an opened folder: random name, ``O_EXCL``; returns (fd, name)."""
    for _ in range(100):
        name = f".{prefix}.{os.urandom(6).hex()}.tmp"
        try:
            return open_in(dir_fd, name, os.O_RDWR | os.O_CREAT | os.O_EXCL, mode, where=where), name
        except FileExistsError:
            continue
    raise FileExistsError(f"{where}: no free temporary name for {prefix}")


def write_atomic(path: str, data: bytes, mode: int = FILE_MODE) -> None:
    """Replace the file at ``path`` with ``data``: a fresh temporary file, fsync, rename over the name."""
    folder = os.path.dirname(path) or "."
    name = path[len(folder) + 1 :] if os.path.dirname(path) else path
    dfd = open_dir(folder)
    try:
        fd, tmp = temp_in(dfd, name, mode, where=folder)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            os.unlink(tmp, dir_fd=dfd)
            raise
        os.close(fd)
        os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
        os.fsync(dfd)
    finally:
        os.close(dfd)


def write_new(path: str, data: bytes, mode: int = FILE_MODE) -> None:
    """Create the file at ``path`` holding ``data`` (synced), never replacing one that is there:
    :class:`FileExistsError` then. For keys, which must never overwrite another key."""
    fd = open_file(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def read_own(path: str, limit: int = 1 << 20, *, owned: bool = True) -> bytes | None:
    """A file's bytes if it is a regular file (no link followed) owned by this user, writable by no one else,
    and at most ``limit`` bytes; None otherwise (missing, a link, another account's, too big). For files the
    user's own settings or caches hold, which another account or a planted link must not stand in for.
    ``owned=False``: any owner and mode (a project's files: still never through a link)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_mode & 0o170000 != 0o100000:
            return None
        if owned and (st.st_uid != os.geteuid() or st.st_mode & 0o022):
            return None
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            block = os.read(fd, 65536)
            if not block:
                break
            chunks.append(block)
            total += len(block)
        return b"".join(chunks) if total <= limit else None
    finally:
        os.close(fd)


def is_own_file(dir_fd: int, name: str) -> bool:
    """Whether ``name`` in an opened folder is a regular file (not a link) owned by this user."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return False
    return st.st_mode & _S_IFMT == _S_IFREG and st.st_uid == os.geteuid()


def remove_own_file(path: str) -> bool:
    """Delete ``path`` only if it is a regular file owned by this user in a real folder; True if it was."""
    folder = os.path.dirname(path) or "."
    name = path[len(folder) + 1 :] if os.path.dirname(path) else path
    try:
        dfd = open_dir(folder, create=False)
    except OSError:
        return False
    try:
        if not is_own_file(dfd, name):
            return False
        os.unlink(name, dir_fd=dfd)
        return True
    finally:
        os.close(dfd)


def loose_modes(path: str) -> list[str]:
    """Sentences about a trail file or its folder being readable or writable by others (empty when private)."""
    out = []
    for p, want in ((os.path.dirname(path) or ".", DIR_MODE), (path, FILE_MODE)):
        try:
            st = os.stat(p, follow_symlinks=False)
        except OSError:
            continue
        if st.st_mode & _S_IFMT == 0o120000:
            out.append(f"{p} is a symlink: the hook refuses to write through it")
        elif st.st_mode & 0o077:
            out.append(f"{p} is mode {oct(st.st_mode & 0o7777)}: others can read or change it (expected {oct(want)})")
    return out
