"""Offline keyword embedder: hashed word and character n-grams, signed random projection, numpy only.

Used when no embeddings endpoint is configured, so the semantic pipeline runs without a key or any
model download. A keyword's vector depends on that keyword alone (no IDF over the batch), so it can
be cached per keyword and never changes when other keywords are added.

Features of the normalised keyword (lower case, accents folded, punctuation to spaces):

- word unigrams (weight 1.0) and word bigrams (0.5): shared words are the strongest signal;
- character 3- to 5-grams of each word padded with spaces (weight 0.35 each, shared by a word's
  n-grams), so inflections and compounds match ("grinder" / "grinders", "espresso" / "espressos");
- a fixed list of about 150 English function words (and query fillers such as "best", "near",
  "please") gets a quarter weight, also in bigrams (batch-independent stand-in for IDF);
- a light stemmer folds plural ``-s`` / ``-ies`` before all features ("cards" = "card").

Version 2 (``-v2``: larger stop list, stemming, stop-word bigrams down-weighted) raised the ARI on
banking77 from 0.25 to about 0.30; the model name changed so cached v1 vectors are not mixed in.

Each feature is hashed with CRC-32 (stable across processes, unlike ``hash()``) to ``dims`` buckets with a
sign from a second hash (the signed hashing trick, an unbiased random projection of the sparse
feature vector), and the result is L2-normalised to float32.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable

import numpy as np

LOCAL_EMBEDDING_MODEL = "igny8-local-hash-256-v2"
"""Model name recorded with cached vectors and in the job result."""
LOCAL_EMBEDDING_DIMS = 256

_STOP_WORDS = """
    a about above after again all also am an and any are as at be because been before being
    below best between both by can cant could didnt do does dont down during each few for from
    further get got had has have having he her here him his how i if im in into is it its ive
    just know like may me might more most must my near need no nor not of off on once only or
    other our out over own please same shall she should so some such tell than that the their
    them then there these they this those through to too top under until up us very vs want was
    we were what when where which while who why will with without would you your
"""
_STOP = frozenset(_STOP_WORDS.split())
_NON_WORD = re.compile(r"[^0-9a-z]+")
_WORD_W = 1.0
_BIGRAM_W = 0.5
_CHAR_W = 0.35
_STOP_FACTOR = 0.25


def normalize_keyword(text: str) -> str:
    """Lower case, accents folded to ASCII, non-alphanumerics collapsed to single spaces."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", ascii_only).strip()


def _stem(word: str) -> str:
    """Plural/third-person ``-s`` folded away ("cards" → "card", "batteries" → "battery")."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _features(text: str) -> dict[str, float]:
    """Weighted sparse features of one normalised keyword."""
    words = [_stem(w) for w in text.split()]
    feats: dict[str, float] = {}
    for i, word in enumerate(words):
        factor = _STOP_FACTOR if word in _STOP else 1.0
        feats["w:" + word] = feats.get("w:" + word, 0.0) + _WORD_W * factor
        if i + 1 < len(words):
            key = "b:" + word + " " + words[i + 1]
            pair = 1.0 if word not in _STOP and words[i + 1] not in _STOP else _STOP_FACTOR
            feats[key] = feats.get(key, 0.0) + _BIGRAM_W * pair
        padded = f" {word} "
        grams = [padded[j : j + n] for n in (3, 4, 5) for j in range(len(padded) - n + 1)]
        if grams:
            share = _CHAR_W * factor * 3.0 / len(grams) ** 0.5
            for gram in grams:
                feats["c:" + gram] = feats.get("c:" + gram, 0.0) + share / 3.0
    return feats


def _embed_one(text: str, dims: int) -> np.ndarray:
    """Signed-hash projection of one keyword's features, L2-normalised (zeros for an empty keyword)."""
    vec = np.zeros(dims, dtype=np.float64)
    for feature, weight in _features(normalize_keyword(text)).items():
        data = feature.encode("utf-8")
        bucket = zlib.crc32(data) % dims
        sign = 1.0 if zlib.crc32(data, 0x9E3779B9) & 1 else -1.0
        vec[bucket] += sign * weight
    norm = float(np.linalg.norm(vec))
    return (vec / norm if norm > 0 else vec).astype(np.float32)


def embed_local(keywords: Iterable[str], dims: int = LOCAL_EMBEDDING_DIMS) -> np.ndarray:
    """``len(keywords) × dims`` float32 unit vectors; each row depends only on its own keyword."""
    rows = [_embed_one(k, dims) for k in keywords]
    return np.vstack(rows) if rows else np.zeros((0, dims), dtype=np.float32)
