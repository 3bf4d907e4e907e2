"""This process's copy of the similarity index: loaded in the background, refreshed incrementally.

Nothing waits for it. The first use starts a load and answers "not ready yet" (`SimilarityNotReady`);
so does every use before the similarity-index job has ever run. Once loaded, a use at most every
`check_every` starts a background check of the stored generation: documents changed since are read
into a small overlay searched beside the base (their old base entries are hidden), and when the
overlay has grown past a fifth of the base the whole index is rebuilt. Searches always read one
immutable snapshot, so a refresh never disturbs one in flight.
"""

from __future__ import annotations

import logging
import sys
import threading
from array import array
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.db import Database
from bot.errors import DomainError
from bot.similarity.scorer import DEFAULT_SCORER, Scorer, Space
from bot.similarity.store import StoredDoc, current_generation, stream_docs, stream_encodings

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

log = logging.getLogger(__name__)

Launcher = Callable[[Callable[[], None]], None]
"""Runs a refresh off the caller's thread (tests run it inline)."""

OVERLAY_SHARE = 0.2
# The overlay is weighted by the base's IDF: a base fitted on a handful of escalations weighs
# every n-gram nearly alike, and unrelated texts score high (bench/similar.py measures it: a team
# starting from nothing kept an empty base for its first 2,000 escalations, and a card's matches
# at 0.4 were right 2 to 6 times in 10 with 50 to 200 in the index). Rebuilding after 10 changes costs little while the base is
# small; past 50 documents the fifth governs.
OVERLAY_MIN = 10


class SimilarityNotReady(DomainError):
    """The index is still loading, or the similarity-index job has not run yet."""

    message_key = "similar.not_ready"


@dataclass(frozen=True)
class Candidate:
    """A document close to a query, with the labels the index keeps for it."""

    escalation_id: int
    score: float
    resolved: bool
    category: str
    product: str


@dataclass
class Segment:
    """Documents searched together: a space and, per document, its escalation and labels."""

    space: Space
    ids: NDArray[np.int64]
    resolved: NDArray[np.bool_]
    categories: list[str]
    products: list[str]
    alive: NDArray[np.bool_]

    @classmethod
    def from_docs(cls, space: Space, docs: Sequence[StoredDoc]) -> Segment:
        """A segment over `docs` (in the space's order)."""
        labels = _Labels()
        for doc in docs:
            labels.add(doc)
        return labels.segment(space)

    def positions(self, escalation_ids: Collection[int]) -> NDArray[np.int64]:
        """Where these escalations are in this segment (those present)."""
        import numpy as np

        wanted = np.array(sorted(escalation_ids), dtype=np.int64)
        at = np.searchsorted(self.ids, wanted)
        at = at[at < self.ids.size]
        return at[np.isin(self.ids[at], wanted)]

    def best(
        self,
        encoding: bytes,
        *,
        limit: int,
        min_score: float,
        resolved_only: bool,
        exclude: Collection[int],
    ) -> list[Candidate]:
        """The `limit` best live documents scoring at least `min_score`."""

        if self.ids.size == 0 or limit <= 0:
            return []
        usable = self.alive & self.resolved if resolved_only else self.alive.copy()
        if exclude:
            usable[self.positions(exclude)] = False
        positions, scores = self.space.top(encoding, limit=limit, usable=usable)
        return [
            Candidate(
                escalation_id=int(self.ids[i]),
                score=float(score),
                resolved=bool(self.resolved[i]),
                category=self.categories[i],
                product=self.products[i],
            )
            for i, score in zip(positions.tolist(), scores.tolist(), strict=True)
            if score >= min_score and score > 0
        ]


@dataclass
class Snapshot:
    """The index at one generation: the base, plus the documents changed since it was built."""

    generation: int
    base_generation: int  # what the base holds: the overlay has every document newer than this
    base: Segment
    overlay: Segment | None = None
    loaded_at: datetime | None = None

    @property
    def size(self) -> int:
        """Documents searchable."""
        overlay = int(self.overlay.alive.sum()) if self.overlay else 0
        return int(self.base.alive.sum()) + overlay

    @property
    def nbytes(self) -> int:
        """Memory held by the spaces."""
        return self.base.space.nbytes + (self.overlay.space.nbytes if self.overlay else 0)

    def segments(self) -> Iterator[Segment]:
        """The base, then the overlay if any."""
        yield self.base
        if self.overlay is not None:
            yield self.overlay

    def search(
        self,
        encoding: bytes,
        *,
        limit: int,
        min_score: float = 0.0,
        resolved_only: bool = False,
        exclude: Collection[int] = (),
    ) -> list[Candidate]:
        """The best documents for an encoded query, best first."""
        found = [
            candidate
            for segment in self.segments()
            for candidate in segment.best(
                encoding,
                limit=limit,
                min_score=min_score,
                resolved_only=resolved_only,
                exclude=exclude,
            )
        ]
        found.sort(key=lambda c: (-c.score, c.escalation_id))
        return found[:limit]

    @cached_property
    def resolved_label_counts(self) -> tuple[Counter[str], Counter[str]]:
        """How many live resolved documents carry each category, and each product (an
        unconfirmed suggestion's "" is counted too, and is never a label to suggest)."""
        categories: Counter[str] = Counter()
        products: Counter[str] = Counter()
        for segment in self.segments():
            for i in (segment.alive & segment.resolved).nonzero()[0].tolist():
                categories[segment.categories[i]] += 1
                products[segment.products[i]] += 1
        return categories, products


def _thread_launcher(task: Callable[[], None]) -> None:
    threading.Thread(target=task, name="similarity-index", daemon=True).start()


@dataclass
class SimilarityIndex:
    """The index as this process holds it (one per process, built on first use)."""

    db: Database
    clock: Clock
    scorer: Scorer = DEFAULT_SCORER
    launch: Launcher = _thread_launcher
    check_every: timedelta = timedelta(seconds=30)
    _snapshot: Snapshot | None = field(init=False, default=None)
    _checked_at: datetime | None = field(init=False, default=None)
    _busy: bool = field(init=False, default=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock, repr=False)
    _refresh_lock: threading.Lock = field(init=False, default_factory=threading.Lock, repr=False)

    def snapshot(self) -> Snapshot:
        """The current snapshot, never waiting; starts a refresh when one is due.

        Raises `SimilarityNotReady` while there is none yet.
        """
        now = self.clock.now()
        with self._lock:
            snapshot = self._snapshot
            due = self._checked_at is None or now - self._checked_at >= self.check_every
            start = due and not self._busy
            if start:
                self._busy = True
                self._checked_at = now
        if start:
            self.launch(self._background_refresh)
            snapshot = self._snapshot  # a launcher may have run it already
        if snapshot is None:
            raise SimilarityNotReady
        return snapshot

    def current(self) -> Snapshot | None:
        """The snapshot held now, if any (never loads)."""
        return self._snapshot

    def idle(self) -> bool:
        """Whether no background refresh is running (nothing holds a connection for it)."""
        with self._lock:
            return not self._busy

    def wait(self) -> Snapshot | None:
        """Refresh now, on this thread (for jobs); None when the index was never built."""
        self.refresh()
        return self._snapshot

    def refresh(self) -> None:
        """Bring the snapshot up to the stored generation (one refresh at a time)."""
        with self._refresh_lock:
            with self.db.session() as session:
                generation = current_generation(session=session)
            snapshot = self._snapshot
            if generation is None:
                return
            if snapshot is None or generation < snapshot.generation:
                self._set(self._load(generation))
            elif generation > snapshot.generation:
                self._set(self._with_overlay(snapshot, generation))

    def _set(self, snapshot: Snapshot) -> None:
        with self._lock:
            self._snapshot = snapshot
            self._checked_at = self.clock.now()

    def _background_refresh(self) -> None:
        try:
            self.refresh()
        except Exception as exc:  # the next use tries again; a search keeps the old snapshot
            log.warning("similarity index refresh failed: %s", type(exc).__name__, exc_info=exc)
        finally:
            with self._lock:
                self._busy = False

    def _load(self, generation: int) -> Snapshot:
        """Build the base from every stored document (two reads: frequencies, then postings).

        Documents written while it loads have a newer generation than `generation`, so the next
        refresh puts them in the overlay even if the load already saw them.
        """
        source = _AlignedSource(db=self.db, scorer_name=self.scorer.name)
        space = self.scorer.fit(source)
        base = source.labels.segment(space)
        base.alive[source.gone] = False
        log.info("similarity index loaded: %d documents, generation %d", base.ids.size, generation)
        return Snapshot(
            generation=generation,
            base_generation=generation,
            base=base,
            loaded_at=self.clock.now(),
        )

    def _with_overlay(self, snapshot: Snapshot, generation: int) -> Snapshot:
        """The base with every document changed since it was built in an overlay (or a reload)."""
        base = snapshot.base
        changed = list(
            stream_docs(
                db=self.db,
                scorer_name=self.scorer.name,
                after_generation=snapshot.base_generation,
            )
        )
        if len(changed) > max(OVERLAY_MIN, OVERLAY_SHARE * base.ids.size):
            return self._load(generation)
        alive = base.alive.copy()
        alive[base.positions([d.escalation_id for d in changed])] = False
        new_base = Segment(
            space=base.space,
            ids=base.ids,
            resolved=base.resolved,
            categories=base.categories,
            products=base.products,
            alive=alive,
        )
        overlay = Segment.from_docs(base.space.derive([d.encoded for d in changed]), changed)
        return Snapshot(
            generation=generation,
            base_generation=snapshot.base_generation,
            base=new_base,
            overlay=overlay,
            loaded_at=snapshot.loaded_at,
        )


class _Labels:
    """Per document, compactly: escalation id, resolved or not, category and product (the
    label strings shared, not one per document)."""

    def __init__(self) -> None:
        self.ids = array("q")
        self.resolved = bytearray()
        self.categories: list[str] = []
        self.products: list[str] = []

    def add(self, doc: StoredDoc) -> None:
        self.ids.append(doc.escalation_id)
        self.resolved.append(doc.resolved)
        self.categories.append(sys.intern(doc.category))
        self.products.append(sys.intern(doc.product))

    def __len__(self) -> int:
        return len(self.ids)

    def segment(self, space: Space) -> Segment:
        import numpy as np

        return Segment(
            space=space,
            ids=np.frombuffer(self.ids, dtype=np.int64).copy(),
            resolved=np.frombuffer(bytes(self.resolved), dtype=np.bool_).copy(),
            categories=self.categories,
            products=self.products,
            alive=np.ones(len(self.ids), dtype=np.bool_),
        )


class _AlignedSource:
    """Stored encodings, read once per pass of `Scorer.fit`, always for the same documents.

    The first read records each document's labels. Each later read yields, for each recorded
    document, its encoding as stored now, or nothing if it has gone; documents added in between
    are left to the next refresh.
    """

    def __init__(self, *, db: Database, scorer_name: str) -> None:
        self.db = db
        self.scorer_name = scorer_name
        self.labels = _Labels()
        self.gone: list[int] = []
        self._read = False

    def __call__(self) -> Iterator[bytes]:
        if not self._read:
            self._read = True
            return self._first()
        return self._again()

    def _first(self) -> Iterator[bytes]:
        for doc in stream_docs(db=self.db, scorer_name=self.scorer_name):
            self.labels.add(doc)
            yield doc.encoded

    def _again(self) -> Iterator[bytes]:
        gone = []
        stream = stream_encodings(db=self.db, scorer_name=self.scorer_name)
        now = next(stream, None)
        for position, escalation_id in enumerate(self.labels.ids):
            while now is not None and now[0] < escalation_id:
                now = next(stream, None)
            if now is not None and now[0] == escalation_id:
                yield now[1]
                now = next(stream, None)
            else:
                gone.append(position)
                yield b""
        self.gone = gone
