"""Start-up shim: The part of :mod:`os` the hook uses, without importing :mod:`os` when it is not loaded yet.

One of the hook's start-up shims; the table of all four, with what each saves, is in
:mod:`auditkit.trail._startup_hash`.

The hook runs as ``python -I -S``, where nothing has imported ``os``. Importing it (with
``_collections_abc``, ``stat`` and ``posixpath``) costs about 1.4 ms, a tenth of a whole hook call,
for functions that are thin wrappers over the built-in :mod:`posix` module. So the hook's modules
write ``from auditkit.trail._startup_os import os``: in a process that has ``os`` already (the library, the
tests, an interactive session) that *is* :mod:`os`; in the hook it is :class:`_Os` below, which
forwards to :mod:`posix` and implements the few :mod:`os.path` functions the hook calls with the
same semantics as :mod:`posixpath`. Standard library only.
"""

import sys

__all__ = ["os"]

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~9 ms
if TYPE_CHECKING:
    import os  # what type checkers see: the hook's stand-in offers the same names with the same types
else:
    os = sys.modules.get("os")

if os is None:  # pragma: no branch - the tests exercise this module in a fresh `python -I -S` too
    import posix as _posix

    _ENCODING = sys.getfilesystemencoding()
    _S_IFMT, _S_IFREG, _S_IFDIR = 0o170000, 0o100000, 0o040000

    def _decode(b: bytes) -> str:
        return b.decode(_ENCODING, "surrogateescape")

    # the posixpath functions the hook uses (``str`` paths only), on a module object: a class holding them cost ~30 us
    # of every hook start-up to make
    def _join(a: str, *parts: str) -> str:
        path = a
        for b in parts:
            if b.startswith("/"):
                path = b
            elif not path or path.endswith("/"):
                path += b
            else:
                path += "/" + b
        return path

    def _dirname(p: str) -> str:
        i = p.rfind("/") + 1
        head = p[:i]
        if head and head != "/" * len(head):
            head = head.rstrip("/")
        return head

    def _isabs(p: str) -> bool:
        return p.startswith("/")

    def _mode(p: str) -> int | None:
        try:
            return _posix.stat(p).st_mode & _S_IFMT
        except (OSError, ValueError):
            return None

    def _isfile(p: str) -> bool:
        return _mode(p) == _S_IFREG

    def _isdir(p: str) -> bool:
        return _mode(p) == _S_IFDIR

    def _normpath(p: str) -> str:
        if not p:
            return "."
        initial = 2 if p.startswith("//") and not p.startswith("///") else 1 if p.startswith("/") else 0
        comps: list[str] = []
        for comp in p.split("/"):
            if comp in ("", "."):
                continue
            if comp != ".." or (not initial and not comps) or (comps and comps[-1] == ".."):
                comps.append(comp)
            elif comps:
                comps.pop()
        return ("/" * initial + "/".join(comps)) or "."

    def _abspath(p: str) -> str:
        return _normpath(p if p.startswith("/") else _join(_posix.getcwd(), p))

    def _expanduser(p: str) -> str:
        if not p.startswith("~"):
            return p
        i = p.find("/", 1)
        i = len(p) if i < 0 else i
        if i == 1:
            home = _Os.environ.get("HOME")
            if home is None:
                import pwd

                try:
                    home = pwd.getpwuid(_posix.getuid()).pw_dir
                except KeyError:
                    return p
        else:
            import pwd

            try:
                home = pwd.getpwnam(p[1:i]).pw_dir
            except KeyError:
                return p
        return (home.rstrip("/") or "/") + p[i:]

    _Path = type(sys)("posixpath")
    _Path.__doc__ = "The :mod:`posixpath` functions the hook uses (``str`` paths only)."
    _Path.join, _Path.dirname, _Path.isabs, _Path.isfile, _Path.isdir = _join, _dirname, _isabs, _isfile, _isdir
    _Path.normpath, _Path.abspath, _Path.expanduser = _normpath, _abspath, _expanduser

    class _Os:
        """Forwards to :mod:`posix`; ``environ`` is decoded once, as :mod:`os` does."""

        path = _Path
        devnull = "/dev/null"

        @staticmethod
        def fdopen(fd: int, *args: object, **kwargs: object) -> object:
            return open(fd, *args, **kwargs)  # type: ignore[call-overload,unused-ignore]  # open is io.open

        @staticmethod
        def makedirs(name: str, mode: int = 0o777, exist_ok: bool = False) -> None:
            head = _dirname(name.rstrip("/")) if name.rstrip("/") else ""
            if head and head != name and not _isdir(head):
                try:  # noqa: SIM105 - contextlib would cost the hook an import
                    _Os.makedirs(head, exist_ok=True)  # like os.makedirs: only the leaf gets ``mode``
                except FileExistsError:
                    pass
            try:
                _posix.mkdir(name, mode)
            except OSError:
                if not exist_ok or not _isdir(name):
                    raise

    for _name in (
        "open",
        "read",
        "write",
        "listdir",
        "close",
        "pread",
        "fstat",
        "stat",
        "unlink",
        "replace",
        "rename",
        "link",
        "dup",
        "scandir",
        "urandom",
        "mkdir",
        "chmod",
        "fchmod",
        "fsync",
        "getuid",
        "geteuid",
        "getpid",
        "getppid",
        "getcwd",
        "uname",
        "posix_spawn",
        "POSIX_SPAWN_OPEN",
        "_exit",
        "O_RDONLY",
        "O_WRONLY",
        "O_RDWR",
        "O_CREAT",
        "O_EXCL",
        "O_TRUNC",
        "O_APPEND",
        "O_CLOEXEC",
        "O_NOFOLLOW",
        "O_DIRECTORY",
        "O_NONBLOCK",
    ):
        setattr(_Os, _name, getattr(_posix, _name))  # built-in functions do not bind: they stay plain functions
    # mypy reads this block as unreachable (it sees the real os above); tests/test_startup_os.py checks it
    _Os.environ = {_decode(k): _decode(v) for k, v in _posix.environ.items()}  # type: ignore[attr-defined,unused-ignore]  # the shim's environ, set here
    os = _Os()  # type: ignore[assignment,unused-ignore]  # os: this shim, not the module
