"""Partitions of the comparison work, for running it on several workers (e.g. Dask).

Comparing candidate pairs is the numeric core of person linkage and needs, per pair, only the
two rows' codes, filters and clear columns. ``partitions`` cuts the candidate pairs into
chunks and gives each chunk exactly the rows its pairs touch, renumbered locally, so every
candidate pair falls within one partition and a worker needs nothing else. Comparing the
chunks anywhere and concatenating the results in order gives the same levels as comparing
all pairs in one process (``linkage.compare.compare`` is a pure function of the rows).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from linkage.compare import compare
from linkage.prepare import Prepared, Rows

I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
#: Runs ``compare_partition`` over partitions, returning the results in partition order.
PartitionMap = Callable[[Sequence["Partition"]], list[dict[str, I8]]]


@dataclass(frozen=True)
class Partition:
    """Candidate pairs ``(i, j)`` in local row numbers, and just the rows they touch."""

    rows: Prepared
    i: I64
    j: I64


def take(p: Prepared, rows: I64) -> Prepared:
    """The prepared rows ``rows`` (positions), renumbered 0.. in that order; the frame keeps
    only ``idx`` (comparisons read the arrays, and tokens need not travel to workers)."""
    return Prepared(
        rows=p.rows.select("idx")[rows],
        codes={name: codes[rows] for name, codes in p.codes.items()},
        filters={name: matrix[rows] for name, matrix in p.filters.items()},
        clear={name: values[rows] for name, values in p.clear.items()},
        name_pairs=p.name_pairs.join(
            pl.DataFrame(
                {"idx": rows.astype(np.uint32), "_new": np.arange(rows.size, dtype=np.uint32)}
            ),
            on="idx",
        ).select(pl.col("_new").alias("idx"), "t"),
    )


def partitions(p: Prepared, i: Rows, j: Rows, count: int) -> list[Partition]:
    """``count`` partitions of about equal numbers of pairs (fewer for few pairs)."""
    out = []
    for chunk in np.array_split(np.arange(i.size), max(min(count, i.size), 1)):
        ci, cj = i[chunk].astype(np.int64), j[chunk].astype(np.int64)
        rows, local = np.unique(np.concatenate([ci, cj]), return_inverse=True)
        out.append(Partition(take(p, rows), local[: ci.size], local[ci.size :]))
    return out


def compare_partition(part: Partition) -> dict[str, I8]:
    """The comparison levels of one partition's pairs (runs on a worker)."""
    return compare(part.rows, part.i, part.j)


def compare_partitioned(
    p: Prepared, i: Rows, j: Rows, count: int, run: PartitionMap
) -> dict[str, I8]:
    """``compare(p, i, j)`` computed partition by partition through ``run``."""
    parts = partitions(p, i, j, count)
    results = run(parts)
    return {f: np.concatenate([r[f] for r in results]) for f in results[0]}
