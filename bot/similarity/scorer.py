"""Scorers: how texts become stored encodings, and encodings a space to search by cosine.

The index and the domain functions only know this interface, so a bundled dense embedding model
could be added as another `Scorer` (its `encode` would store a vector per escalation, its space a
matrix): documents remember which scorer encoded them and are re-encoded when it changes.

`CharNgramScorer` is the one shipped: character 2- and 3-grams within words (scikit-learn's
`char_wb`), hashed into 2**20 features, weighted by TF-IDF with sublinear term frequency and
smoothed IDF (scikit-learn's formulas), rows L2-normalised, compared by cosine. It needs no
tokenizer for Japanese and no model file. Encodings are raw counts, so IDF is taken from the
documents present whenever a space is built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.similarity import ngrams

if TYPE_CHECKING:
    import numpy as np
    import scipy.sparse
    from numpy.typing import NDArray

EncodingSource = Callable[[], Iterable[bytes]]
"""Yields stored encodings in one fixed order; called once per pass a space needs."""


class Space(Protocol):
    """Documents (in the order they were given) that a query can be scored against."""

    @property
    def size(self) -> int:
        """How many documents."""
        ...

    @property
    def nbytes(self) -> int:
        """Memory the space holds."""
        ...

    def scores(self, encoding: bytes) -> NDArray[np.float32]:
        """Cosine similarity of the query to every document, in document order."""
        ...

    def top(
        self, encoding: bytes, *, limit: int, usable: NDArray[np.bool_] | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """The positions of the `limit` best (usable) documents scoring above 0, and their
        cosines, best first."""
        ...

    def derive(self, encodings: Sequence[bytes]) -> Space:
        """A space of other documents weighted like this one (for documents added since)."""
        ...

    def matrix(self, encodings: Sequence[bytes]) -> scipy.sparse.csr_matrix:
        """L2-normalised rows for these encodings, weighted like this space (for models, clusters)."""
        ...


class Scorer(Protocol):
    """Turns normalised texts into encodings to store, and stored encodings into a space."""

    @property
    def name(self) -> str:
        """Stored with each encoding: documents encoded by another scorer are encoded again."""
        ...

    def encode(self, texts: Sequence[str]) -> list[bytes]:
        """One encoding per text (normalised by `bot.similarity.text`), in order."""
        ...

    def fit(self, source: EncodingSource) -> Space:
        """A space over every encoding `source` yields."""
        ...


# -- character n-gram TF-IDF ------------------------------------------------------------------


@dataclass(frozen=True)
class CharNgramScorer:
    """Character n-gram TF-IDF (see the module docstring).

    `max_postings` bounds memory on large indexes: each document is searchable by its heaviest
    `max_postings` features only (its norm still counts them all, so a score is never inflated).
    """

    max_postings: int | None = 192
    name: str = "char-ngram-tfidf-v1"

    def encode(self, texts: Sequence[str]) -> list[bytes]:
        """Packed hashed n-gram counts per text."""
        return ngrams.encode_texts(texts)

    def fit(self, source: EncodingSource) -> CharNgramSpace:
        """Document frequencies from one read of `source`; the postings from two more."""
        import numpy as np

        df = np.zeros(ngrams.N_FEATURES, dtype=np.int32)
        size = 0
        for batch in _batches(source()):
            features, _ = ngrams.unpack(b"".join(batch))  # a document's features are distinct
            df += np.bincount(features, minlength=ngrams.N_FEATURES).astype(np.int32)
            size += len(batch)
        return CharNgramSpace.build(
            idf=_idf(df, size), source=source, max_postings=self.max_postings
        )


BATCH = 1024
FIRST_PASS_POSTINGS = 100_000
CANDIDATES = 100


def _batches(encodings: Iterable[bytes], size: int = BATCH) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for encoding in encodings:
        batch.append(encoding)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _idf(df: NDArray[np.int32], size: int) -> NDArray[np.float32]:
    """scikit-learn's smoothed IDF: ln((1 + n) / (1 + df)) + 1."""
    import numpy as np

    return (np.log((1.0 + size) / (1.0 + df)) + 1.0).astype(np.float32)


def _weights(
    features: NDArray[np.uint32], counts: NDArray[np.uint16], idf: NDArray[np.float32]
) -> NDArray[np.float32]:
    """Sublinear TF times IDF, L2-normalised."""
    import numpy as np

    weights: NDArray[np.float32] = (np.float32(1.0) + np.log(counts.astype(np.float32))) * idf[
        features
    ]
    norm = np.float32(np.sqrt(np.dot(weights, weights)))
    return weights / norm if norm > 0 else weights


def _postings(
    batch: Sequence[bytes], idf: NDArray[np.float32], max_postings: int | None
) -> tuple[NDArray[np.uint32], NDArray[np.float32], NDArray[np.int64]]:
    """A batch's (feature, weight) entries, document after document, and each document's count:
    weights L2-normalised per document over all its features, then only its heaviest
    `max_postings` kept."""
    import numpy as np

    lengths = np.fromiter((len(e) // 4 for e in batch), dtype=np.int64, count=len(batch))
    features, counts = ngrams.unpack(b"".join(batch))
    document = np.repeat(np.arange(len(batch)), lengths)
    weights = (np.float32(1.0) + np.log(counts.astype(np.float32))) * idf[features]
    norms = np.sqrt(np.bincount(document, weights=weights * weights, minlength=len(batch)))
    norms[norms == 0] = 1.0
    weights /= norms.astype(np.float32)[document]
    if max_postings is None or not (lengths > max_postings).any():
        return features, weights, lengths
    # In the documents that have too many, rank entries by weight, heaviest first: one sort of
    # (document, 1 - weight, entry) packed in 64 bits, then the rank within each document.
    at = np.flatnonzero((lengths > max_postings)[document])
    entry_bits, doc_bits = int(at.size).bit_length(), len(batch).bit_length()
    weight_bits = 64 - entry_bits - doc_bits
    lighter = ((1.0 - weights[at].astype(np.float64)) * float((1 << weight_bits) - 1)).astype(
        np.uint64
    )
    keys = np.sort(
        (document[at].astype(np.uint64) << np.uint64(64 - doc_bits))
        | (lighter << np.uint64(entry_bits))
        | np.arange(at.size, dtype=np.uint64)
    )
    order = at[(keys & np.uint64((1 << entry_bits) - 1)).astype(np.int64)]
    keep = np.ones(features.size, dtype=np.bool_)
    keep[order[_rank_in_runs(document[order]) >= max_postings]] = False
    return features[keep], weights[keep], np.minimum(lengths, max_postings)


def _rank_in_runs(values: NDArray[np.int64] | NDArray[np.uint32]) -> NDArray[np.int64]:
    """For sorted `values`, each one's position within its run of equal values (0, 1, 2, …)."""
    import numpy as np

    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    runs = np.diff(np.concatenate((starts, [values.size])))
    return np.arange(values.size) - np.repeat(starts, runs)


class CharNgramSpace:
    """An inverted index: for each feature, the documents that have it and their weights."""

    def __init__(
        self,
        *,
        idf: NDArray[np.float32],
        indptr: NDArray[np.int32] | NDArray[np.int64],
        documents: NDArray[np.int32],
        weights: NDArray[np.float16],
        size: int,
        max_postings: int | None,
    ) -> None:
        self.idf = idf
        self._indptr = indptr
        self._documents = documents
        self._weights = weights
        self._size = size
        self._max_postings = max_postings

    @property
    def size(self) -> int:
        """How many documents."""
        return self._size

    @property
    def nbytes(self) -> int:
        """Memory held by the postings and the IDF table."""
        return int(
            self.idf.nbytes + self._indptr.nbytes + self._documents.nbytes + self._weights.nbytes
        )

    @classmethod
    def build(
        cls, *, idf: NDArray[np.float32], source: EncodingSource, max_postings: int | None
    ) -> CharNgramSpace:
        """Postings from every encoding `source` yields: one read counts each feature's postings,
        the next writes them in place, so memory holds the postings once and one batch."""
        import numpy as np

        per_feature = np.zeros(ngrams.N_FEATURES + 1, dtype=np.int64)
        for batch in _batches(source()):
            features, _, _ = _postings(batch, idf, max_postings)
            per_feature[1:] += np.bincount(features, minlength=ngrams.N_FEATURES)
        np.cumsum(per_feature, out=per_feature)
        # 32-bit offsets while they fit: 4 MB less held, and a smaller cursor while placing.
        indptr: NDArray[np.int32] | NDArray[np.int64] = (
            per_feature.astype(np.int32) if per_feature[-1] < 2**31 else per_feature.copy()
        )
        del per_feature
        documents = np.empty(int(indptr[-1]), dtype=np.int32)
        weights = np.empty(int(indptr[-1]), dtype=np.float16)
        cursor = indptr[:-1].copy()
        first = 0
        for batch in _batches(source()):
            features, batch_weights, lengths = _postings(batch, idf, max_postings)
            doc = np.repeat(np.arange(first, first + len(batch), dtype=np.int32), lengths)
            # Group the batch by feature, entries (so documents) ascending within each: one
            # sort of (feature, entry) packed in 64 bits.
            entry_bits = int(features.size).bit_length()
            keys = np.sort(
                (features.astype(np.uint64) << np.uint64(entry_bits))
                | np.arange(features.size, dtype=np.uint64)
            )
            order = (keys & np.uint64((1 << entry_bits) - 1)).astype(np.int64)
            features, doc, batch_weights = features[order], doc[order], batch_weights[order]
            del keys, order
            slots = cursor[features] + _rank_in_runs(features)
            documents[slots] = doc
            weights[slots] = batch_weights
            cursor += np.bincount(features, minlength=ngrams.N_FEATURES).astype(cursor.dtype)
            first += len(batch)
        if not np.array_equal(cursor, indptr[1:]):
            raise RuntimeError("the second read of the documents differed from the first")
        return cls(
            idf=idf,
            indptr=indptr,
            documents=documents,
            weights=weights,
            size=first,
            max_postings=max_postings,
        )

    def query_vector(self, encoding: bytes) -> tuple[NDArray[np.uint32], NDArray[np.float32]]:
        """The query's features and normalised weights. A feature no document has keeps the
        IDF of an unseen one in the norm, so a text scores alike whether indexed yet or not."""
        features, counts = ngrams.unpack(encoding)
        return features, _weights(features, counts, self.idf)

    def scores(self, encoding: bytes) -> NDArray[np.float32]:
        """Cosine of the query with every document (float32, document order), exactly."""
        import numpy as np

        features, weights = self.query_vector(encoding)
        starts = self._indptr[features].astype(np.int64)
        lengths = self._indptr[features + 1] - starts
        return self._accumulate(starts, lengths, weights).astype(np.float32)

    def top(
        self, encoding: bytes, *, limit: int, usable: NDArray[np.bool_] | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """The best documents by cosine, at a bounded cost however large the index.

        The query's rarest features, up to `FIRST_PASS_POSTINGS` postings in all, score every
        document; the best `CANDIDATES` of those get the exact cosine by looking themselves up in
        the remaining (longest, most common) features' postings. Short queries are scored
        exactly; a document sharing none of a long query's rarer n-grams is not found.
        """
        import numpy as np

        features, weights = self.query_vector(encoding)
        starts = self._indptr[features].astype(np.int64)
        lengths = self._indptr[features + 1] - starts
        by_length = np.argsort(lengths, kind="stable")
        within = np.searchsorted(np.cumsum(lengths[by_length]), FIRST_PASS_POSTINGS, "right")
        first, rest = by_length[: max(1, within)], by_length[max(1, within) :]
        partial = self._accumulate(starts[first], lengths[first], weights[first])
        if usable is not None:
            partial[~usable] = 0.0
        pool = np.flatnonzero(partial > 0)
        wanted = max(CANDIDATES, 10 * limit)
        if pool.size > wanted:
            pool = np.sort(pool[np.argpartition(-partial[pool], wanted - 1)[:wanted]])
        exact = self._look_up(pool, partial[pool], starts[rest], lengths[rest], weights[rest])
        best = np.argsort(-exact, kind="stable")[:limit]
        return pool[best].astype(np.int64), exact[best].astype(np.float32)

    def _look_up(
        self,
        pool: NDArray[np.int64],
        partial: NDArray[np.float64],
        starts: NDArray[np.int64],
        lengths: NDArray[np.int64],
        weights: NDArray[np.float32],
    ) -> NDArray[np.float64]:
        """`partial` plus, for each of these features in turn, weight x the posting weight of
        each `pool` document it has: one binary search of the pool per feature's postings
        (ascending documents), then every addition at once, in the features' order."""
        import numpy as np

        if starts.size == 0 or pool.size == 0:
            return partial
        wanted = pool.astype(self._documents.dtype)  # else each search converts its postings
        at = np.empty((starts.size, pool.size), dtype=np.int64)
        for row, (start, length) in enumerate(zip(starts.tolist(), lengths.tolist(), strict=True)):
            at[row] = self._documents[start : start + length].searchsorted(wanted)
        inside = at < lengths[:, None]
        at = np.where(inside, at, lengths[:, None] - 1) + starts[:, None]
        hit = inside & (self._documents[at] == wanted)
        added = np.where(
            hit, weights.astype(np.float64)[:, None] * self._weights[at].astype(np.float64), 0.0
        )
        # Summed row after row from `partial`, as adding one feature at a time would (a cumulative
        # sum is sequential; adding 0.0 where a document lacks a feature changes nothing).
        return np.cumsum(np.vstack((partial[None, :], added)), axis=0)[-1]

    def _accumulate(
        self,
        starts: NDArray[np.int64],
        lengths: NDArray[np.int64],
        weights: NDArray[np.float32],
    ) -> NDArray[np.float64]:
        """Sum weight x posting weight per document over these features' postings, gathered
        at once (no Python loop per feature)."""
        import numpy as np

        total = int(lengths.sum())
        if total == 0:
            return np.zeros(self._size, dtype=np.float64)
        index = np.int64 if self._documents.size >= 2**31 else np.int32
        ends = np.cumsum(lengths)
        at = np.arange(total, dtype=index) + np.repeat(
            (starts - (ends - lengths)).astype(index), lengths
        )
        contribution = self._weights[at].astype(np.float64)  # bincount sums in float64
        contribution *= np.repeat(weights.astype(np.float64), lengths)
        summed = np.bincount(self._documents[at], weights=contribution, minlength=self._size)
        return summed.astype(np.float64, copy=False)

    def derive(self, encodings: Sequence[bytes]) -> CharNgramSpace:
        """A space over `encodings` with this space's IDF (documents filed since it was built)."""
        return CharNgramSpace.build(
            idf=self.idf, source=lambda: iter(encodings), max_postings=self._max_postings
        )

    def matrix(self, encodings: Sequence[bytes]) -> scipy.sparse.csr_matrix:
        """Rows of L2-normalised TF-IDF weights (every feature, none pruned)."""
        import numpy as np
        import scipy.sparse

        rows = [self.query_vector(encoding) for encoding in encodings]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([features.size for features, _ in rows])
        indices = np.concatenate([np.zeros(0, np.uint32), *(f for f, _ in rows)])
        data = np.concatenate([np.zeros(0, np.float32), *(w for _, w in rows)])
        return scipy.sparse.csr_matrix(
            (data, indices.astype(np.int32), indptr), shape=(len(rows), ngrams.N_FEATURES)
        )


DEFAULT_SCORER: Scorer = CharNgramScorer()
