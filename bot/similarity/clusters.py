"""Recurring problems: groups of similar escalations, for the monthly digest.

Average-linkage agglomerative clustering (scikit-learn) on cosine distance: a group's members are
on average at least as similar as the card's "similar" threshold, so a group reads as one problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import scipy.sparse

MAX_DOCUMENTS = 2000  # the pairwise matrix is n²: a month of a large team still fits in 32 MB


def cluster(matrix: scipy.sparse.csr_matrix, *, threshold: float) -> list[list[int]]:
    """Row indices grouped by similarity (groups of two or more, largest first)."""
    import numpy as np
    from sklearn.cluster import AgglomerativeClustering

    size = matrix.shape[0]
    if size < 2:
        return []
    similarity = (matrix @ matrix.T).toarray()
    distance = np.clip(1.0 - similarity, 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    labels = (
        AgglomerativeClustering(
            n_clusters=None,
            metric="precomputed",
            linkage="average",
            distance_threshold=1.0 - threshold,
        )
        .fit(distance)
        .labels_
    )
    groups: dict[int, list[int]] = {}
    for row, label in enumerate(labels.tolist()):
        groups.setdefault(label, []).append(row)
    found = [rows for rows in groups.values() if len(rows) >= 2]
    found.sort(key=lambda rows: (-len(rows), rows[0]))
    return found


def medoid(matrix: scipy.sparse.csr_matrix, rows: list[int]) -> int:
    """The member most similar to the rest of its group (the one that best describes it)."""
    sub = matrix[rows]
    totals = (sub @ sub.T).sum(axis=1)
    return rows[int(totals.argmax())]
