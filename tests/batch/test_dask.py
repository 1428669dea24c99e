"""20 series on the process pool and on a Dask LocalCluster: the same database, row by row."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.gen_archive import Spec, build_archive
from patchscope.batch.outputs import write_outputs
from patchscope.batch.run import Plan, run_batch
from tests.batch.dump import dump

pytest.importorskip("distributed")

# 20 series: 16 specs, 2 of them sent in three versions; replies on some, one unthreaded
SPECS = [
    Spec(100 + n, patches=1 + n % 3, versions=3 if n in (2, 9) else 1, replies=n % 2)
    for n in range(16)
]
SPECS[5] = Spec(105, patches=2, threaded=False)


def test_the_pool_and_a_local_cluster_give_the_same_database(tmp_path: Path) -> None:
    build_archive(tmp_path / "archive", SPECS)
    sources = (str(tmp_path / "archive"),)
    pool = run_batch(Plan(sources, workers=2))
    cluster = run_batch(Plan(sources, workers=2, scheduler="local"))
    assert len(pool) == 20 and all(r.error is None for r in pool)
    write_outputs(pool, tmp_path / "pool")
    write_outputs(cluster, tmp_path / "cluster")
    by_pool, by_cluster = (
        dump(tmp_path / "pool" / "batch.sqlite"),
        dump(tmp_path / "cluster" / "batch.sqlite"),
    )
    for table, rows in by_pool.items():
        assert len(rows) == len(by_cluster[table]), table
        for ours, theirs in zip(rows, by_cluster[table], strict=True):
            assert ours == theirs, table
    assert len(by_pool["patches"]) == sum(s.patches * s.versions for s in SPECS)
