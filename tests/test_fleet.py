"""A fleet as one dataset: Parquet exports (a folder or S3) read back by load(), DuckDB and Dask, and the
investigations on a dask.distributed LocalCluster with two workers giving the pandas answers."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

import auditkit
from auditkit.analysis import findings
from auditkit.outbound import fleet
from tests.conftest import REPO, SAMPLES
from tests.test_load import comparable

pytestmark = pytest.mark.slow  # a Dask cluster, an S3 server, a notebook


@pytest.fixture(scope="module")
def trails() -> pd.DataFrame:
    """The samples (five trails and a transcript) and six simulated hosts, as load() gives them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        samples = auditkit.load(SAMPLES)
    return pd.concat([samples, fleet.simulate(6, 600)], ignore_index=True)


@pytest.fixture(scope="module")
def dataset(trails: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fleet") / "dataset"
    auditkit.export(trails, out, format="parquet", partition_by=["date", "host"])
    return out


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as c,
        Client(c) as client,
    ):
        yield client


def test_an_export_reads_back_as_the_same_frame(trails: pd.DataFrame, dataset: Path) -> None:
    back = auditkit.load(dataset)
    assert list(back.columns) == list(trails.columns) and len(back) == len(trails)
    assert comparable(back) == comparable(auditkit.load(dataset.parent / "dataset"))
    one = auditkit.load(SAMPLES)
    auditkit.export(one, dataset.parent / "one.parquet", format="parquet")
    assert comparable(auditkit.load(dataset.parent / "one.parquet")) == comparable(one)


def test_duckdb_reads_the_partitioned_dataset(trails: pd.DataFrame, dataset: Path) -> None:
    import duckdb

    rows = duckdb.sql(
        f"SELECT host, count(*) AS n FROM read_parquet('{dataset}/**/*.parquet', hive_partitioning = true) "
        "GROUP BY host ORDER BY host"
    ).fetchall()
    expect = trails["host"].astype("object").fillna("unknown").value_counts().sort_index()
    assert rows == list(expect.items())


def test_the_investigations_on_a_local_cluster_give_the_pandas_answers(trails, dataset, cluster) -> None:
    frame = fleet.open_dataset(str(dataset))
    assert frame.npartitions > 6 and len(cluster.scheduler_info()["workers"]) == 2
    pd.testing.assert_frame_equal(fleet.per_host(frame), auditkit.by_host(trails), check_dtype=False)
    pd.testing.assert_frame_equal(fleet.cost_by_day(frame), auditkit.cost(trails, by="day"), check_dtype=False)
    expect = findings.risky_commands(trails).sort_values(
        ["timestamp", "session_id", "tool_use_id", "risk"], kind="stable"
    )
    pd.testing.assert_frame_equal(fleet.risky(frame), expect.reset_index(drop=True), check_dtype=False)
    mine = fleet.completeness(frame).set_index("question")
    theirs = findings.field_completeness(trails).set_index("question")
    assert mine[["present", "records"]].equals(theirs[["present", "records"]].astype(mine["present"].dtype))
    # and the same code on pandas, without Dask, agrees too
    pd.testing.assert_frame_equal(fleet.per_host(trails), auditkit.by_host(trails), check_dtype=False)


def test_export_to_s3_reads_back_through_load_and_dask(trails, monkeypatch) -> None:
    import socket

    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
        for k, v in {**env, "AWS_ENDPOINT_URL": endpoint}.items():
            monkeypatch.setenv(k, v)
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="fleet")
        result = auditkit.export(trails, "s3://fleet/parquet", format="parquet", partition_by=["date", "host"])
        assert result.files and all(f.startswith("s3://fleet/parquet/date=") for f in result.files)
        back = auditkit.load("s3://fleet/parquet")
        assert len(back) == len(trails) and list(back.columns) == list(trails.columns)
        pd.testing.assert_frame_equal(auditkit.by_host(back), auditkit.by_host(trails), check_dtype=False)
        from dask.distributed import Client, LocalCluster

        # workers started now inherit the credentials, as a real cluster's workers have their own
        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as c, Client(c):
            dask_frame = fleet.open_dataset("s3://fleet/parquet")  # one task per file, each with its own S3 client
            pd.testing.assert_frame_equal(fleet.per_host(dask_frame), auditkit.by_host(trails), check_dtype=False)
    finally:
        server.stop()


def test_the_fleet_notebook_runs_headless_on_a_dataset(trails: pd.DataFrame, dataset: Path, tmp_path: Path) -> None:
    import papermill

    out = tmp_path / "fleet.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "fleet.ipynb"),
        str(out),
        parameters={"dataset": str(dataset), "workers": 2, "interactive": False},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(REPO / "notebooks"),
    )
    from auditkit.present.notebook import read_results

    results = read_results(out)
    assert results["hosts"] == len(auditkit.by_host(trails)) == 8  # six simulated, the laptop, and "unknown"
    assert results["workers"] == 2 and results["risky"] == len(findings.risky_commands(trails))
    assert results["usd"] == pytest.approx(auditkit.cost(trails, by="day")["usd"].sum())
    assert {row["question"] for row in results["completeness"]} >= {"who", "what", "when"}
    json.dumps(results)
