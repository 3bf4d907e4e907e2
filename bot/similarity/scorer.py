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

from collections.abc import Callable, Iterable, Sequence
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
        """One encoding per text, in order."""
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

    max_postings: int | None = 256
    name: str = "char-ngram-tfidf-v1"

    def encode(self, texts: Sequence[str]) -> list[bytes]:
        """Packed hashed n-gram counts per text."""
        return ngrams.encode_texts(texts)

    def fit(self, source: EncodingSource) -> CharNgramSpace:
        """Two passes: document frequencies first, then each document's weights into postings."""
        import numpy as np

        df = np.zeros(ngrams.N_FEATURES, dtype=np.int32)
        size = 0
        for encoding in source():
            features, _ = ngrams.unpack(encoding)
            df[features] += 1  # a document's features are distinct
            size += 1
        idf = _idf(df, size)
        return CharNgramSpace.build(idf=idf, source=source, max_postings=self.max_postings)


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


class CharNgramSpace:
    """An inverted index: for each feature, the documents that have it and their weights."""

    BATCH = 4096

    def __init__(
        self,
        *,
        idf: NDArray[np.float32],
        indptr: NDArray[np.int64],
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
        """Postings from every encoding `source` yields, a batch at a time (bounded memory)."""
        import numpy as np

        batches: list[tuple[NDArray[np.uint32], NDArray[np.float16], NDArray[np.int64]]] = []
        per_feature = np.zeros(ngrams.N_FEATURES + 1, dtype=np.int64)
        pending: list[bytes] = []

        def flush() -> None:
            features, weights, lengths = _kept_postings(pending, idf, max_postings)
            batches.append((features, weights, lengths))
            per_feature[1:] += np.bincount(features, minlength=ngrams.N_FEATURES)
            pending.clear()

        for encoding in source():
            pending.append(encoding)
            if len(pending) >= cls.BATCH:
                flush()
        if pending:
            flush()
        indptr = np.cumsum(per_feature)
        total = int(indptr[-1])
        documents = np.empty(total, dtype=np.int32)
        weights = np.empty(total, dtype=np.float16)
        cursor = indptr[:-1].copy()
        first = 0
        batches.reverse()
        while batches:
            features, batch_weights, lengths = batches.pop()  # freed as it is copied in
            doc = np.repeat(np.arange(first, first + lengths.size, dtype=np.int32), lengths)
            order = np.argsort(features, kind="stable")  # documents stay ascending per feature
            features, doc, batch_weights = features[order], doc[order], batch_weights[order]
            run_start = np.searchsorted(features, features, side="left")
            slots = cursor[features] + (np.arange(features.size) - run_start)
            documents[slots] = doc
            weights[slots] = batch_weights
            cursor += np.bincount(features, minlength=ngrams.N_FEATURES)
            first += lengths.size
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
        """Cosine of the query with every document (float32, document order)."""
        import numpy as np

        out = np.zeros(self._size, dtype=np.float32)
        features, weights = self.query_vector(encoding)
        indptr, documents, stored = self._indptr, self._documents, self._weights
        starts = indptr[features].tolist()
        ends = indptr[features + 1].tolist()
        for start, end, weight in zip(starts, ends, weights.tolist(), strict=True):
            if end > start:
                out[documents[start:end]] += stored[start:end] * np.float32(weight)
        return out

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


def _kept_postings(
    encodings: Sequence[bytes], idf: NDArray[np.float32], max_postings: int | None
) -> tuple[NDArray[np.uint32], NDArray[np.float16], NDArray[np.int64]]:
    """Each document's features and weights, keeping its heaviest `max_postings`."""
    import numpy as np

    kept_features: list[NDArray[np.uint32]] = [np.zeros(0, np.uint32)]
    kept_weights: list[NDArray[np.float32]] = [np.zeros(0, np.float32)]
    lengths = np.zeros(len(encodings), dtype=np.int64)
    for i, encoding in enumerate(encodings):
        features, counts = ngrams.unpack(encoding)
        weights = _weights(features, counts, idf)
        if max_postings is not None and features.size > max_postings:
            top = np.argpartition(weights, -max_postings)[-max_postings:]
            features, weights = features[top], weights[top]
        kept_features.append(features)
        kept_weights.append(weights)
        lengths[i] = features.size
    return (
        np.concatenate(kept_features),
        np.concatenate(kept_weights).astype(np.float16),
        lengths,
    )


DEFAULT_SCORER: Scorer = CharNgramScorer()
