"""Evidence packs proven intact: the manifest signed with the seal key (Ed25519), checked by
``auditkit verify PACK_DIR`` and by the ``openssl`` binary alone; one byte changed anywhere fails;
files 0600 and folder 0700 unless ``--mode`` says otherwise."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from auditkit.cli import main
from auditkit.custody.packs import folder_mode, parse_mode, verify_pack
from auditkit.custody.seals import keygen
from auditkit.errors import SealError
from auditkit.present.evidence import report
from tests.conftest import REPO, SAMPLES

OPENSSL = shutil.which("openssl")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return keygen(tmp_path_factory.mktemp("keys") / "seal.key")


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory, keys: tuple[Path, Path]) -> Path:
    out = tmp_path_factory.mktemp("packs") / "replay"
    manifest = report(
        "replay", [str(SAMPLES / "regression-fix")], out, {"session": "5b3f"}, progress=False, seal_key=keys[0]
    )
    assert manifest["signature"]["algorithm"] == "Ed25519"
    return out


def _copy(pack: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(pack, dst)
    for p in dst.iterdir():
        p.chmod(0o600)
    return dst


def test_a_fresh_pack_verifies_with_the_kit(pack: Path, keys: tuple[Path, Path], capsys) -> None:
    assert main(["verify", str(pack), "--pubkey", str(keys[1])]) == 0
    out = capsys.readouterr().out
    assert "signature valid" in out and "2/2 file(s) match" in out and out.rstrip().endswith("INTACT")
    signed = json.loads((pack / "manifest.json").read_text())["signature"]
    assert signed["file"] == "manifest.json.sig" and len((pack / "manifest.json.sig").read_bytes()) == 64


def test_one_byte_changed_in_any_file_of_the_pack_fails(pack: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    names = sorted(p.name for p in pack.iterdir())
    assert names == ["manifest.json", "manifest.json.sig", "replay.html", "replay.ipynb"]
    for name in names:
        copy = _copy(pack, tmp_path / name)
        target = copy / name
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01  # one bit of one byte
        target.write_bytes(bytes(data))
        checked = verify_pack(copy, keys[1])
        assert not checked.intact, name
        if name.startswith("manifest.json"):
            assert checked.signature_valid is False, name
        else:
            assert checked.signature_valid is True and checked.files[name].startswith("changed"), name
        assert main(["verify", str(copy), "--pubkey", str(keys[1])]) == 1, name


def test_a_file_added_removed_or_a_signature_missing_fails(pack: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    added = _copy(pack, tmp_path / "added")
    (added / "note.txt").write_text("added later")
    assert verify_pack(added, keys[1]).files["note.txt"] == "not in the manifest"
    removed = _copy(pack, tmp_path / "removed")
    (removed / "replay.html").unlink()
    assert verify_pack(removed, keys[1]).files["replay.html"] == "missing"
    unsigned = _copy(pack, tmp_path / "unsigned")
    (unsigned / "manifest.json.sig").unlink()
    r = verify_pack(unsigned, keys[1])
    assert not r.intact and r.signature_valid is None and "not signed" in r.problems[0]


def test_a_pack_resigned_with_another_key_fails(pack: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    from auditkit.custody.packs import sign_pack

    forged = _copy(pack, tmp_path / "forged")
    manifest = json.loads((forged / "manifest.json").read_text())
    manifest["trustworthy"] = True
    (forged / "manifest.json").write_text(json.dumps(manifest, indent=2))
    other, other_pub = keygen(tmp_path / "other.key")
    sign_pack(forged, other)
    assert verify_pack(forged, other_pub).intact  # self-consistent under the forger's key
    assert not verify_pack(forged, keys[1]).intact  # not under ours


def _openssl_lines() -> list[str]:
    """The openssl command documented in docs/evidence-packs.md, as written there."""
    doc = (REPO / "docs" / "evidence-packs.md").read_text()
    return [
        line for block in re.findall(r"```sh\n(.*?)```", doc, re.S) for line in block.splitlines() if "openssl" in line
    ]


def test_openssl_alone_verifies_the_signature_as_documented(
    pack: Path, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    assert OPENSSL, "openssl is needed to check what docs/evidence-packs.md tells auditors to run"
    [command] = _openssl_lines()
    copy = _copy(pack, tmp_path / "ok")
    shutil.copy(keys[1], copy.parent / "seal.pub")
    argv = [a.replace("seal.pub", str(copy.parent / "seal.pub")) for a in shlex.split(command)]
    done = subprocess.run(argv, cwd=copy, capture_output=True, text=True)
    assert done.returncode == 0 and "Signature Verified Successfully" in done.stdout, done.stderr
    data = bytearray((copy / "manifest.json").read_bytes())
    data[10] ^= 0x01
    (copy / "manifest.json").write_bytes(bytes(data))
    done = subprocess.run(argv, cwd=copy, capture_output=True, text=True)
    assert done.returncode == 1 and "Signature Verification Failure" in done.stdout
    # the documented sha256sum of the outputs matches the manifest's
    manifest = json.loads((pack / "manifest.json").read_text())
    sums = subprocess.run(
        ["sha256sum", *sorted(o["path"] for o in manifest["outputs"])], cwd=pack, capture_output=True, text=True
    )
    listed = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    assert {line.split()[1]: line.split()[0] for line in sums.stdout.splitlines()} == listed


def test_pack_files_are_0600_in_a_0700_folder(pack: Path) -> None:
    assert stat.S_IMODE(pack.stat().st_mode) == 0o700
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in pack.iterdir()} == dict.fromkeys(
        ["manifest.json", "manifest.json.sig", "replay.html", "replay.ipynb"], 0o600
    )


def test_mode_option_sets_another_file_mode_and_the_matching_folder_mode() -> None:
    assert parse_mode("0640") == 0o640 and folder_mode(0o640) == 0o750 and folder_mode(0o644) == 0o755
    for bad in ("0700", "0400", "x", "1777"):
        with pytest.raises(SealError):
            parse_mode(bad)


def test_report_cli_writes_the_mode_asked_for(keys: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    out = tmp_path / "pack"
    code = main(
        ["report", "replay", str(SAMPLES / "regression-fix"), "--out", str(out), "--seal-key", str(keys[0]),
         "--mode", "0640", "--no-progress"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr()
    assert "manifest signed (Ed25519" in capsys.readouterr().out
    assert stat.S_IMODE(out.stat().st_mode) == 0o750
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o640}
    assert main(["verify", str(out), "--pubkey", str(keys[1])]) == 0


def test_a_failed_run_leaves_a_signed_pack_that_says_what_failed(keys: tuple[Path, Path], tmp_path: Path) -> None:
    from auditkit.errors import ReportError

    out = tmp_path / "failed"
    with pytest.raises(ReportError):
        report("replay", [str(SAMPLES / "regression-fix")], out, {"session": "no-such-session"}, progress=False,
                   seal_key=keys[0])  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["signature"]["algorithm"] == "Ed25519"
    checked = verify_pack(out, keys[1])
    assert checked.intact and "error.txt" in checked.files, checked.problems
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o600}
