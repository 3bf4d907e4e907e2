"""The scorer computes scikit-learn's char_wb TF-IDF cosine; texts are normalised and scrubbed."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.similarity import ngrams
from bot.similarity.scorer import CharNgramScorer
from bot.similarity.text import MAX_CHARS, document_text, normalise, redact

TEXTS = [
    "ログインできません。パスワードを再設定しても駄目です",
    "I can't log in after a password reset",
    "a b  cd e",
    "ﾛｸﾞｲﾝ できない ＰＡＳＳＷＯＲＤ",
    "写真が同期されない iPhone 15 😀",
    "x",
    "",
    "Photos don't sync between iPhone and iPad",
    "ESC-42 E-3021 エラーコード E-3021",
]


@pytest.mark.parametrize("text", TEXTS)
def test_the_bulk_ngrams_are_scikit_learns_char_wb_ngrams(text: str) -> None:
    analyzer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 3), lowercase=False
    ).build_analyzer()
    expected = sorted(ngrams.hash_ngram(g) for g in analyzer(normalise(text)))
    _, features, counts = ngrams.count_features([normalise(text)])
    assert sorted(np.repeat(features, counts).tolist()) == expected


def test_bulk_counting_keeps_documents_apart() -> None:
    texts = [normalise(t) for t in TEXTS]
    together = CharNgramScorer().encode(texts)
    alone = [CharNgramScorer().encode([t])[0] for t in texts]
    assert together == alone


def test_pack_and_unpack_round_trip() -> None:
    features = np.array([0, 5, ngrams.N_FEATURES - 1], dtype=np.uint32)
    counts = np.array([1, ngrams.MAX_COUNT, 7], dtype=np.uint16)
    back_features, back_counts = ngrams.unpack(ngrams.pack(features, counts))
    assert back_features.tolist() == features.tolist()
    assert back_counts.tolist() == counts.tolist()


def test_cosines_equal_scikit_learns_sublinear_tfidf() -> None:
    texts = [normalise(t) for t in TEXTS]
    reference = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 3), lowercase=False, sublinear_tf=True
    ).fit_transform(texts)
    expected = (reference @ reference.T).toarray()
    scorer = CharNgramScorer(max_postings=None)
    encodings = scorer.encode(texts)
    space = scorer.fit(lambda: iter(encodings))
    got = np.array([space.scores(e) for e in encodings])
    assert np.allclose(got, expected, atol=2e-3)  # weights are stored as float16


def test_pruned_postings_never_inflate_a_score() -> None:
    texts = [normalise(t) for t in TEXTS]
    exact = CharNgramScorer(max_postings=None)
    pruned = CharNgramScorer(max_postings=8)
    encodings = exact.encode(texts)
    full = exact.fit(lambda: iter(encodings))
    small = pruned.fit(lambda: iter(encodings))
    for encoding in encodings:
        assert (small.scores(encoding) <= full.scores(encoding) + 2e-3).all()
    assert small.nbytes < full.nbytes


def test_a_derived_space_scores_new_documents_with_the_same_weights() -> None:
    texts = [normalise(t) for t in TEXTS]
    scorer = CharNgramScorer(max_postings=None)
    encodings = scorer.encode(texts)
    space = scorer.fit(lambda: iter(encodings))
    derived = space.derive(encodings[:2])
    query = encodings[1]
    assert derived.scores(query) == pytest.approx(space.scores(query)[:2], abs=2e-3)


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("ＰＡＳＳＷＯＲＤ　ﾘｾｯﾄ", "password リセット"),
        ("ﾛｸﾞｲﾝ", "ログイン"),
        ("Ｅ－３０２１", "e-3021"),
        ("  Login\n\tFAILS  ", "login fails"),
    ],
)
def test_writing_styles_normalise_alike(written: str, normalised: str) -> None:
    assert normalise(written) == normalised


def test_documents_leave_out_personal_data_and_are_bounded() -> None:
    text = document_text(
        summary="Hanako.Sato@Example.com can't log in",
        details="call ０９０－１２３４－５６７８ or +81 90 1234 5678; user u-77 again "
        + "x" * 2000,
        resolution_note="u-77 was locked",
        end_user_ids=("U-77",),
    )
    assert "example.com" not in text
    assert "5678" not in text
    assert "u-77" not in text
    assert "can't log in" in text
    assert len(text) <= MAX_CHARS


def test_redact_keeps_ordinary_numbers() -> None:
    assert redact("order PB-20931 on 2025-11-02, error E-3021") == (
        "order PB-20931 on 2025-11-02, error E-3021"
    )
    assert redact("mail me: a.b@c.jp") == "mail me: ***"
