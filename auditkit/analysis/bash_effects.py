"""What a Bash command does: the one place that decides how deletions, moves, copies and in-place edits
are recognised (:func:`effects`), and which commands are risky (:func:`risks`).

``effects(command, cwd)`` parses a command line (``&&``, ``||``, ``;``, pipes, redirections, leading
``VAR=value``, ``sudo``/``env``/``time``) into :class:`Effect`s on absolute paths. It is deliberately
conservative: it names what a command *can* be seen to touch. A command it does not know (``python
x.py``) has no effect here, and a command that may rewrite many files at once (``git reset --hard``)
marks the whole working tree as possibly modified.
"""

from __future__ import annotations

import fnmatch
import posixpath
import shlex
from collections.abc import Callable
from dataclasses import dataclass

#: (risk, regex) for Bash commands worth an investigator's eye.
RISKS: tuple[tuple[str, str], ...] = (
    ("recursive delete", r"\brm\s+(?:-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)\b"),
    ("hard reset", r"\bgit\s+reset\s+(?:\S+\s+)*--hard\b"),
    ("force push", r"\bgit\s+push\b.*(?:\s--force\b|\s-f\b|--force-with-lease)"),
    ("history rewrite", r"\bgit\s+(?:rebase|filter-branch|filter-repo)\b"),
    ("git clean", r"\bgit\s+clean\s+-[a-zA-Z]*f"),
    ("recursive chmod/chown", r"\bch(?:mod|own)\s+(?:-[a-zA-Z]*R|--recursive)"),
    ("world-writable", r"\bchmod\s+(?:-R\s+)?(?:0?777|a\+w|o\+w)"),
    ("pipe to shell", r"\b(?:curl|wget)\b[^|;&]*\|\s*(?:sudo\s+)?(?:ba|z|da)?sh\b"),
    ("privilege", r"(?:^|[;&|]\s*)sudo\s"),
    ("disk or device", r"\b(?:mkfs|fdisk|dd\s+if=|shred)\b"),
    ("database drop", r"(?i)\bdrop\s+(?:table|database|schema)\b|\btruncate\s+table\b"),
    ("process kill", r"\bkill\s+-9\b|\bpkill\b|\bkillall\b"),
    ("infrastructure", r"\b(?:terraform\s+(?:apply|destroy)|kubectl\s+delete|helm\s+uninstall)\b"),
)


@dataclass(frozen=True)
class Effect:
    """One file-level consequence of a command.

    ``action``: delete, move_from (the file left this path), move_to / copy_to (the path received
    ``source``), modify (changed in a way the trail cannot replay), create (``touch`` of a new,
    empty file), chmod. ``tree``: the path is a folder and the effect covers everything under it.
    """

    action: str
    path: str
    source: str | None = None
    tree: bool = False

    def touches(self, path: str) -> bool:
        if any(c in self.path for c in "*?["):
            return fnmatch.fnmatchcase(path, self.path) or (self.tree and fnmatch.fnmatchcase(path, self.path + "/*"))
        return path == self.path or (self.tree and path.startswith(self.path.rstrip("/") + "/"))


_SEPARATORS = {"&&", "||", ";", "|", "&", "(", ")", ";;", "|&", "\n"}
_PREFIXES = {"sudo", "env", "time", "nohup", "command", "exec", "nice", "xargs"}
_TREE_CHANGERS = {
    ("git", "reset"),
    ("git", "stash"),
    ("git", "pull"),
    ("git", "merge"),
    ("git", "rebase"),
    ("git", "cherry-pick"),
    ("git", "revert"),
    ("git", "switch"),
    ("git", "apply"),
    ("git", "am"),
}


def _abs(path: str, cwd: str) -> str:
    path = posixpath.expanduser(path) if path.startswith("~") else path
    return posixpath.normpath(path if posixpath.isabs(path) else posixpath.join(cwd or "/", path))


def _split(command: str) -> list[list[str]]:
    """Simple commands of a command line, with redirections kept as ('>', file) token pairs."""
    lexer = shlex.shlex(command.replace("\\\n", " "), posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: fall back to whitespace
        tokens = command.split()
    out: list[list[str]] = []
    current: list[str] = []
    for tok in tokens:
        if tok in _SEPARATORS:
            if current:
                out.append(current)
            current = []
        else:
            current.append(tok)
    if current:
        out.append(current)
    return out


def _operands(args: list[str], with_value: frozenset[str] | set[str] = frozenset()) -> tuple[list[str], set[str]]:
    """Split arguments into operands and the set of option letters/words seen."""
    ops, flags, skip, end = [], set(), False, False
    for i, a in enumerate(args):
        if skip:
            skip = False
            continue
        if end or not a.startswith("-") or a == "-":
            ops.append(a)
        elif a == "--":
            end = True
        elif a.startswith("--"):
            flags.add(a)
        else:
            flags.update(a[1:])
            if a[1:] in with_value and i + 1 < len(args):
                skip = True
    return ops, flags


def effects(command: str, cwd: str) -> list[Effect]:
    """Every file effect a command line can be seen to have, on absolute, normalised paths."""
    found: list[Effect] = []
    for words in _split(command):
        # redirections: > file, >> file, 2> file, &> file (but not 2>&1, < file or /dev/*)
        plain: list[str] = []
        i = 0
        while i < len(words):
            w, nxt = words[i], words[i + 1] if i + 1 < len(words) else ""
            if w in (">", ">>", ">|", "&>", "&>>", ">&", "<", "<<", "<<<", "<&", "<>"):
                if plain and plain[-1].isdigit():
                    plain.pop()  # the "2" of "2> file"
                if w in (">", ">>", ">|", "&>", "&>>") and nxt and not nxt.startswith("/dev/"):
                    found.append(Effect("modify", _abs(nxt, cwd)))
                i += 2
                continue
            plain.append(w)
            i += 1
        while plain and (("=" in plain[0] and not plain[0].startswith("-")) or plain[0] in _PREFIXES):
            plain.pop(0)  # VAR=value, sudo, env, time ...
        if not plain:
            continue
        found.extend(_command_effects(posixpath.basename(plain[0]), plain[1:], cwd))
    return found


def _command_effects(name: str, args: list[str], cwd: str) -> list[Effect]:
    """The file effects of one simple command, by the command's name (see :data:`_COMMANDS`)."""
    handler = _COMMANDS.get(name)
    return handler(name, args, cwd) if handler is not None else []


def _rm(name: str, args: list[str], cwd: str) -> list[Effect]:
    if name == "shred" and "u" not in _operands(args)[1]:
        return []  # shred without -u overwrites the file and leaves it in place
    ops, flags = _operands(args)
    tree = bool(flags & {"r", "R", "--recursive"})
    return [Effect("delete", _abs(p, cwd), tree=tree) for p in ops]


def _rmdir(name: str, args: list[str], cwd: str) -> list[Effect]:
    return [Effect("delete", _abs(p, cwd), tree=True) for p in _operands(args)[0]]


def _mv_cp(name: str, args: list[str], cwd: str) -> list[Effect]:
    ops, flags = _operands(args, {"t", "S"})
    if len(ops) < 2:
        return []
    *sources, dest = ops
    dest_abs = _abs(dest, cwd)
    into_dir = len(sources) > 1 or dest.endswith("/")
    kind = "move_to" if name == "mv" else "copy_to"
    out = []
    for s in sources:
        src = _abs(s, cwd)
        tree = bool(flags & {"r", "R", "a", "--recursive", "--archive"}) or name == "mv"
        targets = (
            [posixpath.join(dest_abs, posixpath.basename(src))]
            if into_dir
            else [dest_abs, posixpath.join(dest_abs, posixpath.basename(src))]
        )
        out += [Effect(kind, t, source=src) for t in targets]
        if name == "mv":
            out.append(Effect("move_from", src, tree=tree))
    return out


def _in_place(name: str, args: list[str], cwd: str) -> list[Effect]:
    """sed, perl and ruby with -i: the files edited in place."""
    ops, flags = _operands(args, {"e", "f"})
    if "i" not in flags and not any(a.startswith("--in-place") for a in args):
        return []
    script_given = any(a in ("-e", "-f") or a.startswith("--expression") for a in args)
    files = ops if script_given or name != "sed" else ops[1:]
    return [Effect("modify", _abs(p, cwd)) for p in files]


def _tee(name: str, args: list[str], cwd: str) -> list[Effect]:
    return [Effect("modify", _abs(p, cwd)) for p in _operands(args)[0]]


def _touch(name: str, args: list[str], cwd: str) -> list[Effect]:
    return [Effect("create", _abs(p, cwd)) for p in _operands(args, {"d", "r", "t"})[0]]


def _dd(name: str, args: list[str], cwd: str) -> list[Effect]:
    return [Effect("modify", _abs(a[3:], cwd)) for a in args if a.startswith("of=")]


def _truncate(name: str, args: list[str], cwd: str) -> list[Effect]:
    return [Effect("modify", _abs(p, cwd)) for p in _operands(args, {"s", "r"})[0]]


def _install(name: str, args: list[str], cwd: str) -> list[Effect]:
    ops = _operands(args, {"m", "o", "g"})[0]
    return [Effect("copy_to", _abs(ops[-1], cwd), source=_abs(ops[0], cwd))] if len(ops) >= 2 else []


def _patch(name: str, args: list[str], cwd: str) -> list[Effect]:
    return [Effect("modify", _abs(cwd, cwd), tree=True)]  # any file of the tree


def _chmod(name: str, args: list[str], cwd: str) -> list[Effect]:
    ops, flags = _operands(args)
    return [Effect("chmod", _abs(p, cwd), tree=bool(flags & {"R", "--recursive"})) for p in ops[1:]]


def _git(name: str, args: list[str], cwd: str) -> list[Effect]:
    return _git_effects(args, cwd) if args else []


#: Command name -> its effects (each handler gets the name, the arguments and the working directory).
_COMMANDS: dict[str, Callable[[str, list[str], str], list[Effect]]] = {
    "rm": _rm,
    "unlink": _rm,
    "shred": _rm,
    "rmdir": _rmdir,
    "mv": _mv_cp,
    "cp": _mv_cp,
    "sed": _in_place,
    "perl": _in_place,
    "ruby": _in_place,
    "tee": _tee,
    "touch": _touch,
    "dd": _dd,
    "truncate": _truncate,
    "install": _install,
    "patch": _patch,
    "chmod": _chmod,
    "chown": _chmod,
    "chgrp": _chmod,
    "git": _git,
}


def _git_effects(args: list[str], cwd: str) -> list[Effect]:
    i = 0
    while i < len(args) and args[i].startswith("-"):  # git -C dir ...
        if args[i] == "-C" and i + 1 < len(args):
            cwd = _abs(args[i + 1], cwd)
            i += 1
        i += 1
    if i >= len(args):
        return []
    sub, rest = args[i], args[i + 1 :]
    if sub == "rm":
        ops, flags = _operands(rest)
        return [] if "--cached" in flags else [Effect("delete", _abs(p, cwd), tree="r" in flags) for p in ops]
    if sub == "mv":
        ops = _operands(rest)[0]
        return _command_effects("mv", ops, cwd) if len(ops) >= 2 else []
    if sub in ("checkout", "restore"):
        if "--" in rest:
            files = rest[rest.index("--") + 1 :]
        elif sub == "restore":
            files = _operands(rest, {"s", "source"})[0]
        else:
            files = []
        if files:
            return [Effect("modify", _abs(p, cwd), tree=True) for p in files]
        return [Effect("modify", cwd, tree=True)]  # switching branches can rewrite any file
    if (("git", sub)) in _TREE_CHANGERS:
        if sub == "stash" and rest[:1] in (["list"], ["show"]):
            return []
        return [Effect("modify", cwd, tree=True)]
    if sub == "clean":
        return [Effect("delete", cwd, tree=True)] if any("f" in a for a in rest if a.startswith("-")) else []
    return []


def risks(command: str) -> list[str]:
    """The kinds of risk in a Bash command worth an investigator's eye (see :data:`RISKS`), in table order."""
    import re

    return [risk for risk, rx in RISKS if re.search(rx, command)]
