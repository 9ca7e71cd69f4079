"""Witnesses outside the machine: ``auditkit sync`` carries seals and their TSA tokens to S3 (moto's server on
127.0.0.1), ``verify s3://… --ca`` checks the tokens there, and ``verify --against`` shows a local seal log
rewritten after it was synced; ``auditkit ship`` sends the seal log's lines too, and refuses one rewritten since."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditkit.cli import main
from auditkit.custody import anchors
from auditkit.custody.seals import seal_log_path
from auditkit.errors import ShipError
from auditkit.outbound.s3sync import sync
from auditkit.outbound.shipping import ship
from tests.test_anchors import make_pki, start_tsa
from tests.test_s3sync import archived_trail
from tests.test_shipping import KEYS, Receiver

pytestmark = pytest.mark.slow  # an S3 server in a thread


@pytest.fixture
def anchored(tmp_path: Path) -> tuple[Path, Path]:
    """An archived trail whose seals each carry a token from a real local TSA; returns (trail, TSA root)."""
    trail = archived_trail(tmp_path)
    root = make_pki(tmp_path / "pki")
    proc, url = start_tsa(tmp_path / "pki")
    try:
        assert len(anchors.anchor(trail, [url], anchors.Trust.load([root], None)).anchored) == 2
    finally:
        proc.kill()
        proc.wait()
    return trail, root


def test_sync_carries_the_tokens_and_verify_checks_them_in_the_bucket(s3, s3_endpoint, anchored, capsys) -> None:
    trail, root = anchored
    s3.create_bucket(Bucket="witness", ObjectLockEnabledForBucket=True)
    sync([trail], "s3://witness/fleet", endpoint_url=s3_endpoint, lock_days=1)
    key = next(k["Key"] for k in s3.list_objects_v2(Bucket="witness")["Contents"] if k["Key"].endswith(".seals.jsonl"))
    there = s3.get_object(Bucket="witness", Key=key)["Body"].read()
    assert [json.loads(line)["type"] for line in there.splitlines()].count("auditkit.anchor") == 2
    argv = ["verify", "s3://witness/fleet", "--endpoint-url", s3_endpoint, "--ca", str(root), "--require-anchors"]
    assert main(argv) == 0
    assert "anchors: 2/2 token(s) valid" in capsys.readouterr().out


def test_a_local_seal_log_rewritten_after_sync_is_a_mismatch(s3, s3_endpoint, anchored, capsys) -> None:
    trail, _ = anchored
    s3.create_bucket(Bucket="witness2", ObjectLockEnabledForBucket=True)
    sync([trail], "s3://witness2/fleet", endpoint_url=s3_endpoint, lock_days=1)
    argv = ["verify", str(trail.parent), "--endpoint-url", s3_endpoint, "--against", "s3://witness2/fleet"]
    assert main(argv) == 0
    capsys.readouterr()
    log = seal_log_path(trail)  # the insider removes the tokens that date the seals, and re-chains nothing
    kept = [line for line in log.read_bytes().splitlines(keepends=True) if b'"auditkit.anchor"' not in line]
    log.write_bytes(b"".join(kept))
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "s3_seal_log_mismatch" in out and "NOT INTACT" in out


def test_a_seal_log_never_synced_is_said_so(s3, s3_endpoint, anchored, capsys) -> None:
    trail, _ = anchored
    s3.create_bucket(Bucket="empty-witness", ObjectLockEnabledForBucket=True)
    argv = ["verify", str(trail.parent), "--endpoint-url", s3_endpoint, "--against", "s3://empty-witness/x"]
    assert main(argv) == 0
    assert "s3_seal_log_missing" in capsys.readouterr().out


@pytest.fixture
def elastic() -> Iterator[Receiver]:
    """An Elasticsearch _bulk receiver on 127.0.0.1 (tests/test_shipping.py's)."""
    r = Receiver("elastic")
    yield r
    r.close()


@pytest.mark.parametrize("schema", ["auditkit", "ocsf", "ecs"])
def test_ship_carries_the_seals_and_tokens_and_refuses_a_seal_log_rewritten_since(
    elastic: Receiver, anchored, tmp_path: Path, schema: str
) -> None:
    trail, _ = anchored
    r = elastic
    state = tmp_path / "ship-state.json"
    ship([trail.parent], r.url, "elastic", insecure=True, env=KEYS, state=state, schema=schema)
    ids = [x["event_id"] for x in r.records()]
    log_lines = seal_log_path(trail).read_bytes().splitlines()
    seal_ids = [i for i in ids if ":seals:" in i]
    assert len(seal_ids) == len(log_lines) == 4  # two seals, two tokens
    bodies = [json.loads(b) for req in r.requests for b in req["body"].splitlines()[1::2]]
    assert sum("auditkit.anchor" in json.dumps(b) for b in bodies) == 2
    assert ship([trail.parent], r.url, "elastic", insecure=True, env=KEYS, state=state, schema=schema).sent == 0
    log = seal_log_path(trail)
    log.write_bytes(log.read_bytes().replace(b'"seq":', b'"seq": ', 1))  # a seal shipped, then rewritten
    with pytest.raises(ShipError, match="rewritten"):
        ship([trail.parent], r.url, "elastic", insecure=True, env=KEYS, state=state, schema=schema)
