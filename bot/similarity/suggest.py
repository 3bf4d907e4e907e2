"""Product and category suggestions: a vote of the nearest resolved escalations.

Each of the `NEIGHBOURS` most similar resolved escalations votes for its label with its score. A
label is suggested only when it carries at least `CONFIDENCE_FLOOR` of the vote and the team has
resolved at least `MIN_EXAMPLES` escalations with it; otherwise nothing is suggested (a wrong
pre-filled field costs more than an empty one). On the shipped evaluation set a vote is as
accurate as a logistic regression trained on the same vectors (bench/README.md), needs no
training, and works from the first few resolved escalations. Priority is never suggested. A label
filed as a suggestion and never confirmed or changed by a person is no example and has no vote
(the index holds it as ""), so suggestions never learn from their own guesses.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

NEIGHBOURS = 10
MIN_NEIGHBOUR_SCORE = 0.05
CONFIDENCE_FLOOR = 0.4
MIN_EXAMPLES = 5


@dataclass(frozen=True)
class Guess:
    """A suggested label and the share of the neighbours' vote it won."""

    value: str
    confidence: float


def vote(
    votes: Iterable[tuple[str, float]],
    *,
    examples: Counter[str],
    allowed: Collection[str],
    floor: float = CONFIDENCE_FLOOR,
    min_examples: int = MIN_EXAMPLES,
) -> Guess | None:
    """The label with the largest weighted vote, if it is allowed, known well enough and confident."""
    weights: defaultdict[str, float] = defaultdict(float)
    for label, weight in votes:
        if weight > 0 and label:  # "": a suggestion nobody confirmed, no example
            weights[label] += weight
    total = sum(weights.values())
    if total <= 0:
        return None
    label, weight = max(weights.items(), key=lambda item: (item[1], item[0]))
    confidence = weight / total
    if label not in allowed or examples[label] < min_examples or confidence < floor:
        return None
    return Guess(value=label, confidence=round(confidence, 3))
