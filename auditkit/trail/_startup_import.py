"""Start-up shim: the hook's own modules loaded straight from their cached bytecode, and the hook's run.

One of the hook's start-up shims (see :mod:`auditkit.trail._startup_hash`). The hook file
(``hook/auditkit_hook.py``) is compiled from source on every event, so it only finds the package and calls
:func:`run`; everything else it did lives here, in cached bytecode (compiling it cost ~0.2 ms an event).

:func:`find_spec` answers only for ``auditkit.trail.*`` modules, and only when the bytecode file
``importlib`` itself would read (``__pycache__/<name>.<cache tag>.pyc`` beside the source) is present and
current by the same test ``importlib`` applies (the magic number; a timestamp-based pyc; the source's
mtime and size as recorded in it). Then it loads that file with one ``open``/``read``, skipping
``importlib``'s path search (a directory listing, three stats, a buffered reader and several path
computations per module: ~1.1 million instructions, ~0.3 ms, over the dozen modules of a small event).
In every other case (no pyc, a stale or hash-based one, ``sys.pycache_prefix`` set, a source missing) it
declines, and the ordinary import system loads the module exactly as before (and rewrites the pyc).
It reads no file ``importlib`` would not read, from the same place, under the same validity test.

It also answers for the few standard-library extension modules the hook loads (:data:`_EXTENSIONS`), when
``sys.path`` is the interpreter's own isolated one (``-I -S``: its absent zip, its library folder, its
``lib-dynload``): the file importlib would find there, named directly (importlib would list the folder
first, ~0.4 million instructions). With any other ``sys.path`` it leaves them to importlib.

And the package the hook set up gets a module ``__getattr__`` (:func:`_package_getattr`): ``from auditkit.trail
import config`` asks the package for ``config`` before importing it (importlib's ``_handle_fromlist``), and the
answer is the module loaded from the same current bytecode, set up as importlib's ``_load_unlocked`` sets a module
up, without the module locks and meta-path search around it (~20 us a module in Python, a dozen modules an event).
When :func:`find_spec` declines, it says so (AttributeError) and importlib imports the module as before; and under
``-X importtime`` (importlib's report of each import, which would not list these) it is not set.
"""

import _imp
import marshal
import posix
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

__all__ = ["run"]

_PACKAGE = "auditkit.trail."
_bootstrap = sys.modules["_frozen_importlib"]
_MAGIC: bytes = sys.modules["_frozen_importlib_external"].MAGIC_NUMBER
_TAG = sys.implementation.cache_tag
#: The standard library's extension modules the hook loads (3.12 renamed _sha256 to _sha2), found directly in
#: the interpreter's lib-dynload: importlib would list that folder (~0.5 million instructions) to find them there
_EXTENSIONS = frozenset(("_json", "fcntl", "_sha256", "_sha2", "binascii"))


#: Set by :func:`install`: the package's folder, and lib-dynload when sys.path is the isolated one
_folder = ""
_dynload = ""


# This module is itself the finder and the loader (its functions find_spec, create_module and exec_module;
# the code object travels in the spec's loader_state): two classes fewer to build on every event.


def create_module(spec: "ModuleSpec") -> None:
    return None  # the default module object


def exec_module(module: "ModuleType") -> None:
    """Run the module's code object, read and unmarshalled already by :func:`find_spec`."""
    # the package's own bytecode, as importlib would run it
    exec(module.__spec__.loader_state, module.__dict__)  # type: ignore[union-attr]


def _current_bytecode(source: str, cached: str) -> bytes | None:
    """The code bytes of ``cached`` when importlib would accept it for ``source``; None otherwise."""
    try:
        st = posix.stat(source)
        fd = posix.open(cached, posix.O_RDONLY | posix.O_CLOEXEC)
        try:
            size = posix.fstat(fd).st_size
            data = posix.read(fd, size + 1)
        finally:
            posix.close(fd)
    except OSError:
        return None
    if (
        len(data) != size
        or data[:4] != _MAGIC
        or data[4:8] != b"\0\0\0\0"  # flags: 0 is a timestamp-based pyc; hash-based ones go to importlib
        or int.from_bytes(data[8:12], "little") != int(st.st_mtime) & 0xFFFFFFFF
        or int.from_bytes(data[12:16], "little") != st.st_size & 0xFFFFFFFF
    ):
        return None
    return data[16:]


def _package_getattr(name: str) -> "ModuleType":
    """``auditkit.trail.<name>``, for ``from auditkit.trail import <name>``: loaded from its current bytecode (the
    spec :func:`find_spec` makes) with the attributes importlib's ``module_from_spec`` gives it, in ``sys.modules``
    while it runs, then set on the package. AttributeError when there is no such bytecode: importlib's
    ``_handle_fromlist`` then imports it as it always did. An AttributeError the module itself raises while it runs is
    raised as an ImportError (``hasattr`` would take it for "no such module" and importlib would run it again)."""
    full = _PACKAGE + name
    loaded = sys.modules.get(full)
    if loaded is not None:
        return loaded
    spec = None if name[:2] == "__" else find_spec(full)
    if spec is None:
        raise AttributeError(f"module {_PACKAGE[:-1]!r} has no attribute {name!r}")
    module = type(sys)(full)
    module.__loader__ = spec.loader
    module.__package__ = spec.parent
    module.__spec__ = spec
    module.__file__ = spec.origin
    module.__cached__ = spec.cached  # type: ignore[attr-defined]  # a module attribute importlib sets
    spec._initializing = True  # type: ignore[attr-defined]  # as importlib marks a module being loaded
    try:
        sys.modules[full] = module
        try:
            exec(spec.loader_state, module.__dict__)  # the package's own bytecode, as exec_module runs it
        except BaseException as exc:
            sys.modules.pop(full, None)
            if isinstance(exc, AttributeError):
                raise ImportError(f"{full}: {exc}", name=full) from exc
            raise
        module = sys.modules.pop(full)  # the module may have put another object there, as importlib allows
        sys.modules[full] = module
    finally:
        spec._initializing = False  # type: ignore[attr-defined]  # as above
    setattr(sys.modules[_PACKAGE[:-1]], name, module)
    return module


def _extension(name: str) -> "ModuleSpec | None":
    path = _dynload + "/" + name + _imp.extension_suffixes()[0]
    try:
        posix.stat(path)
    except OSError:
        return None  # importlib finds it (or says it cannot)
    loader = sys.modules["_frozen_importlib_external"].ExtensionFileLoader(name, path)
    spec: ModuleSpec = _bootstrap.ModuleSpec(name, loader, origin=path)
    spec.has_location = True
    return spec


def find_spec(
    name: str, path: "Sequence[str] | None" = None, target: "ModuleType | None" = None
) -> "ModuleSpec | None":
    """The meta-path finder's answer: for ``auditkit.trail.*`` whose bytecode is current, and for
    :data:`_EXTENSIONS` (see the module's docstring); None (importlib's own search) for everything else."""
    if name in _EXTENSIONS and _dynload:
        return _extension(name)
    if not _folder or not name.startswith(_PACKAGE) or "." in name[len(_PACKAGE) :]:
        return None
    leaf = name[len(_PACKAGE) :]
    source = _folder + "/" + leaf + ".py"
    cached = _folder + "/__pycache__/" + leaf + "." + _TAG + ".pyc"
    code = _current_bytecode(source, cached)
    if code is None:
        return None
    try:
        loaded = marshal.loads(code)
    except (EOFError, ValueError, TypeError):  # a damaged file: importlib reports it, as before
        return None
    spec: ModuleSpec = _bootstrap.ModuleSpec(name, sys.modules[__name__], origin=source, loader_state=loaded)
    spec.cached = cached
    spec.has_location = True
    return spec


def install() -> None:
    """Put this module first on ``sys.meta_path`` (as a finder) for the package folder the hook set up."""
    global _folder, _dynload
    package = sys.modules.get("auditkit.trail")
    folders = getattr(package, "__path__", None)
    if sys.pycache_prefix is not None or not _TAG or not folders or len(folders) != 1:
        return
    _folder = folders[0]
    sys.meta_path.insert(0, sys.modules[__name__])  # a module with find_spec is a finder
    # the hook's own package object (no __init__ ran): see the top; not under -X importtime, whose report of what was
    # imported (importlib's) it would leave these modules out of
    if getattr(package, "__file__", None) is None and "importtime" not in sys._xoptions:
        package.__getattr__ = _package_getattr  # type: ignore[union-attr,method-assign]  # a module: its __getattr__ (PEP 562)
    # -I -S: sys.path is the interpreter's own zip (absent: importlib cached None for it), its library, then
    # lib-dynload; only then is lib-dynload where importlib would find these modules (the library folder holds
    # no _json.py, fcntl.py ...). Any other path (a venv's site, -I dropped, another layout): importlib's way.
    path = sys.path
    if (
        sys.flags.isolated
        and len(path) == 3
        and path[2] == path[1] + "/lib-dynload"
        and path[0].endswith(".zip")
        and path[0] in sys.path_importer_cache
        and sys.path_importer_cache[path[0]] is None
    ):
        _dynload = path[2]


def run(here: str) -> None:
    """The hook's process after it found the package: record the event, flush, and leave without teardown."""
    try:
        install()
        # through the package (_package_getattr), the two that modules import by their dotted names first: importlib
        # would load those itself
        from auditkit.trail import _startup_hash, _startup_os, capture  # noqa: F401 - hook start-up: its entry point

        main = capture.main
    except BaseException as exc:  # a broken install must not break the agent either
        sys.stderr.write(f"auditkit hook: cannot load auditkit from {here}: {exc} (nothing recorded)\n")
        sys.exit(0)
    status = main()
    # Leave without the interpreter's teardown (about 2 ms, a seventh of the hook's run): the trail and
    # every other file were written with os.write or closed already; only the std streams need flushing.
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 - contextlib would cost the hook an import
            stream.flush()
        except BaseException:
            pass
    posix._exit(status)
