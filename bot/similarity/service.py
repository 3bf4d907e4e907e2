"""Similar past escalations and triage suggestions: the domain functions.

Matches carry what a surface may show to its audience and nothing more: the end user's id only
for someone who may look end users up (`bot.lookup`'s rule), and for anyone else the texts with
email addresses, phone numbers and the end user's id hidden. The index never holds those either
(`bot.similarity.text`), so nobody can search by them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.errors import DomainError, NotFound
from bot.escalations import check_may, parse_key
from bot.lifecycle import Verb
from bot.lookup.service import UserGroupDirectory, may_look_up
from bot.models import Escalation, Status
from bot.policy import Policy
from bot.similarity import cards, clusters
from bot.similarity.index import SimilarityIndex, SimilarityNotReady, Snapshot
from bot.similarity.store import escalation_text
from bot.similarity.suggest import (
    MIN_NEIGHBOUR_SCORE,
    NEIGHBOURS,
    Guess,
    vote,
)
from bot.similarity.text import document_text, redact

# Chosen on the shipped evaluation set (bench/similar.py): the lowest score at which at least
# 4 in 5 of the matches a card shows are the same problem, over the whole set (315).
SIMILAR_THRESHOLD = 0.225
# With a shorter history, fewer new escalations have an earlier one like them and the weighting
# knows fewer texts, so unrelated ones score higher: a card shows a match only from the threshold
# for the number of escalations in the index (at least that many -> threshold). Each is the
# lowest score with that precision on random histories of that size drawn from the same set
# (bench/similar.py, "card threshold by history size"); sizes between two measured ones take the
# smaller size's (higher) threshold.
CARD_THRESHOLDS: tuple[tuple[int, float], ...] = (
    (0, 0.6),
    (20, 0.45),
    (30, 0.425),
    (75, 0.4),
    (100, 0.375),
    (200, 0.35),
    (250, 0.325),
    (315, SIMILAR_THRESHOLD),
)
# Recurring groups in the digest: average-linkage clusters whose members are on average at least
# this similar (chosen on the same set: the best pairwise F1 against the true groups).
GROUP_THRESHOLD = 0.25
# `/cre similar` is asked for: it lists weaker matches too, down to this.
SEARCH_FLOOR = 0.10
CARD_LIMIT = 3
SEARCH_LIMIT = 10


@dataclass(frozen=True)
class Audience:
    """Who will read the matches: whether they may look end users up."""

    may_look_up: bool

    @classmethod
    def of(
        cls, *, policy: Policy, user_id: str, groups: UserGroupDirectory | None, now: datetime
    ) -> Audience:
        """The audience of one person, by the look-up rules."""
        return cls(may_look_up=may_look_up(policy=policy, actor_id=user_id, groups=groups, now=now))


CHANNEL = Audience(may_look_up=False)
"""A channel (the card, the digest): anyone in it may read, so nobody's personal data."""


@dataclass(frozen=True)
class Match:
    """A similar escalation as its audience may see it."""

    escalation_id: int
    score: float
    status: str
    product: str
    category: str
    summary: str
    filed_at: datetime
    resolved_at: datetime | None
    business_seconds: int | None  # how long it took to resolve, in business time
    cause: str | None
    answer: str | None
    end_user_id: str | None  # None unless the audience may look end users up
    channel_id: str | None = None  # where its message is (to link to it)
    message_ts: str | None = None

    @property
    def key(self) -> str:
        """The human key, e.g. ESC-42."""
        return f"ESC-{self.escalation_id}"

    @property
    def resolved(self) -> bool:
        """Whether it was resolved."""
        return self.status == Status.RESOLVED


@dataclass(frozen=True)
class Suggestion:
    """Labels suggested for a new escalation's text (each may be missing; priority never is one)."""

    product: Guess | None
    category: Guess | None


@dataclass(frozen=True)
class RecurringGroup:
    """Similar escalations resolved in one period: one problem that keeps coming back."""

    escalation_ids: tuple[int, ...]  # earliest filed first
    summary: str  # of the member that best describes the group, with personal data hidden
    category: str
    earliest_filed_at: datetime
    earliest_channel_id: str | None = None  # where the earliest's message is (to link to it)
    earliest_message_ts: str | None = None

    @property
    def count(self) -> int:
        """How many escalations."""
        return len(self.escalation_ids)

    @property
    def earliest_key(self) -> str:
        """The key of the earliest."""
        return f"ESC-{self.escalation_ids[0]}"


# -- matches ----------------------------------------------------------------------------------


def card_threshold(size: int) -> float:
    """The lowest score a card shows when the index holds `size` escalations."""
    chosen = CARD_THRESHOLDS[0][1]
    for at_least, threshold in CARD_THRESHOLDS:
        if size >= at_least:
            chosen = threshold
    return chosen


def query_text(text: str) -> str:
    """What a free-text query is compared as (normalised, personal data left out)."""
    return document_text(summary=text, details="")


def similar_to(
    *,
    session: Session,
    index: SimilarityIndex,
    escalation_id: int,
    audience: Audience,
    limit: int = CARD_LIMIT,
    min_score: float | None = None,
    resolved_only: bool = False,
) -> list[Match]:
    """Escalations similar to this one (never itself), best first, scoring at least `min_score`
    (by default what a card shows: `card_threshold` of the index's size).

    Raises `NotFound` for an unknown escalation and `SimilarityNotReady` while there is no index.
    """
    text = _text_of(session, escalation_id)
    snapshot = index.snapshot()
    return _matches(
        session=session,
        index=index,
        snapshot=snapshot,
        text=text,
        audience=audience,
        limit=limit,
        min_score=card_threshold(snapshot.size) if min_score is None else min_score,
        resolved_only=resolved_only,
        exclude=(escalation_id,),
    )


def _text_of(session: Session, escalation_id: int) -> str:
    """An escalation's text as the index compares it; `NotFound` for an unknown escalation."""
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        raise NotFound("error.not_found", key=f"ESC-{escalation_id}")
    return escalation_text(escalation)


def similar_to_text(
    *,
    session: Session,
    index: SimilarityIndex,
    text: str,
    audience: Audience,
    limit: int = SEARCH_LIMIT,
    min_score: float = SEARCH_FLOOR,
    resolved_only: bool = False,
    exclude: Collection[int] = (),
) -> list[Match]:
    """Escalations similar to a text (an inquiry, a search), best first."""
    snapshot = index.snapshot()
    return _matches(
        session=session,
        index=index,
        snapshot=snapshot,
        text=query_text(text),
        audience=audience,
        limit=limit,
        min_score=min_score,
        resolved_only=resolved_only,
        exclude=exclude,
    )


def _matches(
    *,
    session: Session,
    index: SimilarityIndex,
    snapshot: Snapshot,
    text: str,
    audience: Audience,
    limit: int,
    min_score: float,
    resolved_only: bool,
    exclude: Collection[int],
) -> list[Match]:
    if not text:
        return []
    encoding = index.scorer.encode([text])[0]
    candidates = snapshot.search(
        encoding, limit=limit, min_score=min_score, resolved_only=resolved_only, exclude=exclude
    )
    if not candidates:
        return []
    rows = {
        e.id: e
        for e in session.exec(
            select(Escalation).where(col(Escalation.id).in_([c.escalation_id for c in candidates]))
        )
    }
    matches = []
    for candidate in candidates:
        escalation = rows.get(candidate.escalation_id)
        if escalation is None:  # deleted since the index was loaded
            continue
        if resolved_only and escalation.status != Status.RESOLVED:  # reopened since
            continue
        matches.append(_match(escalation, score=candidate.score, audience=audience))
    return matches


def card_matches(
    *, session: Session, escalation_id: int, audience: Audience = CHANNEL
) -> list[Match]:
    """The similar escalations stored for a card, best first (a read: found by the job)."""
    stored = cards.stored_ids(session=session, escalation_id=escalation_id)
    if not stored:
        return []
    ids = [escalation_id for escalation_id, _ in stored]
    rows = {e.id: e for e in session.exec(select(Escalation).where(col(Escalation.id).in_(ids)))}
    return [
        _match(rows[match_id], score=score, audience=audience)
        for match_id, score in stored
        if match_id in rows
    ]


def _match(escalation: Escalation, *, score: float, audience: Audience) -> Match:
    assert escalation.id is not None
    resolved = escalation.status == Status.RESOLVED
    users = (escalation.end_user_id,)

    def shown(text: str | None) -> str | None:
        if text is None or audience.may_look_up:
            return text
        return redact(text, end_user_ids=users)

    return Match(
        escalation_id=escalation.id,
        score=round(score, 3),
        status=escalation.status,
        product=escalation.product,
        category=escalation.category,
        summary=shown(escalation.summary) or "",
        filed_at=escalation.filed_at,
        resolved_at=escalation.resolved_at if resolved else None,
        business_seconds=escalation.resolution_business_s if resolved else None,
        cause=escalation.resolution_cause if resolved else None,
        answer=shown(escalation.resolution_answer) if resolved else None,
        end_user_id=escalation.end_user_id if audience.may_look_up else None,
        channel_id=escalation.channel_id,
        message_ts=escalation.message_ts,
    )


def answer_to_reuse(
    *, session: Session, index: SimilarityIndex, escalation_id: int, audience: Audience
) -> Match | None:
    """The most similar resolved escalation that has an answer for CS (for the Resolve modal)."""
    for match in similar_to(
        session=session,
        index=index,
        escalation_id=escalation_id,
        audience=audience,
        limit=CARD_LIMIT,
        resolved_only=True,
    ):
        if match.answer and match.answer.strip():
            return match
    return None


class EmptySearch(DomainError):
    """`/cre similar` with nothing to search for."""

    message_key = "similar.usage"


@dataclass(frozen=True)
class SearchResult:
    """`/cre similar`'s answer: what was searched for, and the matches, best first."""

    escalation_id: int | None  # when the search was for an escalation's text
    text: str  # the text searched for otherwise
    matches: list[Match]
    card_threshold: float = SIMILAR_THRESHOLD  # from which a card would show them, now


def search(
    *, session: Session, index: SimilarityIndex, query: str, audience: Audience
) -> SearchResult:
    """The escalations most similar to an escalation's key ("ESC-42") or to a text.

    Raises `EmptySearch`, `NotFound` for an unknown key, `SimilarityNotReady` while there is no
    index.
    """
    query = query.strip()
    if not query:
        raise EmptySearch
    try:
        escalation_id: int | None = parse_key(query)
    except NotFound:  # not a key: a text
        escalation_id = None
    exclude: tuple[int, ...] = () if escalation_id is None else (escalation_id,)
    text = query_text(query) if escalation_id is None else _text_of(session, escalation_id)
    # One snapshot for the matches and the threshold: both of the same generation of the index.
    snapshot = index.snapshot()
    matches = _matches(
        session=session,
        index=index,
        snapshot=snapshot,
        text=text,
        audience=audience,
        limit=SEARCH_LIMIT,
        min_score=SEARCH_FLOOR,
        resolved_only=False,
        exclude=exclude,
    )
    return SearchResult(
        escalation_id=escalation_id,
        text=query,
        matches=matches,
        card_threshold=card_threshold(snapshot.size),
    )


@dataclass(frozen=True)
class ResolveForm:
    """What the Resolve modal needs: the escalation, and an earlier answer offered as a start."""

    escalation: Escalation
    offer: Match | None


def _may_resolve(session: Session, policy: Policy, escalation_id: int, actor_id: str) -> Escalation:
    return check_may(
        session=session,
        policy=policy,
        escalation_id=escalation_id,
        actor_id=actor_id,
        action=Verb.RESOLVE,
    )


def resolve_form(
    *,
    session: Session,
    policy: Policy,
    index: SimilarityIndex,
    escalation_id: int,
    actor_id: str,
    audience: Audience,
) -> ResolveForm:
    """The Resolve modal for someone allowed to resolve, offering the most similar resolved
    escalation's answer for CS (none while the index is not ready: the modal never waits)."""
    escalation = _may_resolve(session, policy, escalation_id, actor_id)
    try:
        offer = answer_to_reuse(
            session=session, index=index, escalation_id=escalation_id, audience=audience
        )
    except SimilarityNotReady:
        offer = None
    return ResolveForm(escalation=escalation, offer=offer)


def answer_to_use(
    *,
    session: Session,
    policy: Policy,
    escalation_id: int,
    source_id: int,
    actor_id: str,
    audience: Audience,
) -> ResolveForm:
    """The Resolve modal again, with resolved escalation `source_id`'s answer to start from.

    Raises `NotFound` unless `source_id` is resolved with an answer for CS.
    """
    escalation = _may_resolve(session, policy, escalation_id, actor_id)
    source = session.get(Escalation, source_id)
    if source is None or source.status != Status.RESOLVED or not source.resolution_answer:
        raise NotFound("similar.no_answer", key=f"ESC-{source_id}")
    return ResolveForm(escalation=escalation, offer=_match(source, score=0.0, audience=audience))


# -- suggestions ------------------------------------------------------------------------------


def suggest(*, index: SimilarityIndex, policy: Policy, text: str) -> Suggestion | None:
    """Product and category for a new inquiry's text, from the team's resolved escalations.

    None when neither is confident (or the text is empty); raises `SimilarityNotReady` while
    there is no index.
    """
    snapshot = index.snapshot()
    normalised = query_text(text)
    if not normalised:
        return None
    neighbours = snapshot.search(
        index.scorer.encode([normalised])[0],
        limit=NEIGHBOURS,
        min_score=MIN_NEIGHBOUR_SCORE,
        resolved_only=True,
    )
    categories, products = snapshot.resolved_label_counts
    category = vote(
        ((n.category, n.score) for n in neighbours),
        examples=categories,
        allowed={c.id for c in policy.categories},
    )
    product = vote(
        ((n.product, n.score) for n in neighbours),
        examples=products,
        allowed={p.id for p in policy.products},
    )
    if category is None and product is None:
        return None
    return Suggestion(product=product, category=category)


def suggest_at_intake(*, index: SimilarityIndex, policy: Policy, text: str) -> Suggestion | None:
    """`suggest` for a modal about to open: nothing rather than waiting for the index."""
    try:
        return suggest(index=index, policy=policy, text=text)
    except SimilarityNotReady:
        return None


def suggested_labels(
    *, index: SimilarityIndex, policy: Policy, text: str
) -> tuple[str | None, str | None]:
    """(product, category) suggested for a ticket's text, each None when not confident; never
    waits for the index (a Zendesk delivery filed meanwhile keeps its defaults)."""
    suggestion = suggest_at_intake(index=index, policy=policy, text=text)
    if suggestion is None:
        return None, None
    product, category = suggestion.product, suggestion.category
    return (
        product.value if product is not None else None,
        category.value if category is not None else None,
    )


# -- recurring groups -------------------------------------------------------------------------


def recurring_groups(
    *,
    session: Session,
    index: SimilarityIndex,
    start: datetime,
    end: datetime,
    threshold: float = GROUP_THRESHOLD,
) -> list[RecurringGroup]:
    """Groups of similar escalations resolved in [start, end), largest first (for the digest).

    Loads the index on this thread if it must (a job may wait); an index never built means no
    groups.
    """
    snapshot = index.current() or index.wait()
    if snapshot is None:
        return []
    resolved = list(
        session.exec(
            select(Escalation)
            .where(
                col(Escalation.status) == Status.RESOLVED,
                col(Escalation.resolved_at) >= start,
                col(Escalation.resolved_at) < end,
            )
            .order_by(col(Escalation.resolved_at).desc(), col(Escalation.id).desc())
            .limit(clusters.MAX_DOCUMENTS)
        )
    )
    if len(resolved) < 2:
        return []
    matrix = snapshot.base.space.matrix(index.scorer.encode([escalation_text(e) for e in resolved]))
    groups = []
    for rows in clusters.cluster(matrix, threshold=threshold):
        members = sorted((resolved[r] for r in rows), key=lambda e: (e.filed_at, e.id or 0))
        centre = resolved[clusters.medoid(matrix, rows)]
        groups.append(
            RecurringGroup(
                escalation_ids=tuple(e.id for e in members if e.id is not None),
                summary=redact(centre.summary, end_user_ids=(centre.end_user_id,)),
                category=Counter(e.category for e in members).most_common(1)[0][0],
                earliest_filed_at=members[0].filed_at,
                earliest_channel_id=members[0].channel_id,
                earliest_message_ts=members[0].message_ts,
            )
        )
    return groups
