#!/usr/bin/env python3
"""Standalone validator for the evaluation collection in this folder.
Run as `python validate.py` from this folder. Standard library only.
Exits non-zero on any failure."""

import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED_TYPES = {
    "single_fact": 10,
    "which_paper": 5,
    "multi_paper": 4,
    "summary": 4,
    "follow_up": 4,
    "comparison": 3,
    "unanswerable": 20,
}
ANSWERABLE_SUB = {"paraphrased", "terse", "plain"}
UNANSWERABLE_SUB = {"near_miss": 9, "general_knowledge": 6, "absent_topic": 5}
STOPWORDS = set(
    """a about above after again against all am an and any are aren't as at be because been before being
below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few
for from further had hadn't has hasn't have haven't having he her here hers herself him himself his how i if in into
is isn't it it's its itself let's me more most mustn't my myself no nor not of off on once only or other ought our
ours ourselves out over own same shan't she should shouldn't so some such than that that's the their theirs them
themselves then there there's these they this those through to too under until up very was wasn't we were weren't
what what's when where which while who whom why with won't would wouldn't you your yours yourself yourselves
s t d ll m o re ve y also just any did does etc i.e e.g vs via per""".split()
)

errors = []


def err(msg):
    errors.append(msg)


def load_jsonl(name):
    rows = []
    path = os.path.join(HERE, name)
    try:
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    err(f"{name}:{i}: invalid JSON ({e})")
    except OSError as e:
        err(f"cannot read {name}: {e}")
    return rows


def tokens(text):
    return re.findall(r"[^\W_]+", text.lower())


def content_words(text):
    return [t for t in tokens(text) if t not in STOPWORDS]


def ngrams(words, n=3):
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


# ---------- papers ----------
papers = load_jsonl("papers.jsonl")
title_to_abs = {}
for i, p in enumerate(papers, 1):
    for key, typ in [("title", str), ("abstract", str), ("authors", list), ("venue", str), ("doi", str)]:
        if not isinstance(p.get(key), typ):
            err(f"papers.jsonl row {i}: field '{key}' missing or not {typ.__name__}")
    if "year" not in p or not (p["year"] is None or isinstance(p["year"], int)):
        err(f"papers.jsonl row {i}: 'year' must be int or null")
    if isinstance(p.get("authors"), list) and not all(isinstance(a, str) for a in p["authors"]):
        err(f"papers.jsonl row {i}: authors must be strings")
    t = p.get("title")
    if isinstance(t, str):
        if t in title_to_abs:
            err(f"duplicate paper title: {t}")
        title_to_abs[t] = p.get("abstract", "") or ""
    if isinstance(p.get("abstract"), str) and len(p["abstract"]) < 200:
        err(f"papers.jsonl row {i}: abstract suspiciously short")
if len(papers) != 48:
    err(f"expected 48 papers, found {len(papers)}")

# ---------- questions ----------
qs = load_jsonl("questions.jsonl")
ids = [q.get("id") for q in qs]
if len(ids) != len(set(ids)):
    err(f"duplicate question ids: {[k for k, v in Counter(ids).items() if v > 1]}")
expected_ids = [f"w{n:03d}" for n in range(1, 51)]
if sorted(i for i in ids if isinstance(i, str)) != expected_ids:
    err("question ids must be exactly w001..w050")

type_counts = Counter(q.get("type") for q in qs)
for t, n in EXPECTED_TYPES.items():
    if type_counts.get(t, 0) != n:
        err(f"type '{t}': expected {n}, found {type_counts.get(t, 0)}")
for t in type_counts:
    if t not in EXPECTED_TYPES:
        err(f"unknown type '{t}'")

qtexts = Counter()
for q in qs:
    qid = q.get("id", "?")
    for key, typ in [
        ("type", str),
        ("question", str),
        ("history", list),
        ("gold_titles", list),
        ("keypoints", list),
        ("notes", str),
    ]:
        if not isinstance(q.get(key), typ):
            err(f"{qid}: field '{key}' missing or not {typ.__name__}")
    if (
        not isinstance(q.get("question"), str)
        or not isinstance(q.get("gold_titles"), list)
        or not isinstance(q.get("keypoints"), list)
        or not isinstance(q.get("history"), list)
    ):
        continue
    qtexts[q["question"].strip().lower()] += 1
    if not q.get("notes", "").strip():
        err(f"{qid}: empty notes")
    typ = q.get("type")
    gold = q["gold_titles"]
    kps = q["keypoints"]
    hist = q["history"]
    # history shape
    for h in hist:
        if not (isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) and x.strip() for x in h)):
            err(f"{qid}: each history item must be [user_turn, assistant_turn]")
    if typ == "follow_up":
        if len(hist) != 1:
            err(f"{qid}: follow_up needs exactly one earlier exchange in history")
    elif hist:
        err(f"{qid}: only follow_up questions should carry history")
    # gold titles
    for g in gold:
        if g not in title_to_abs:
            err(f"{qid}: gold title not in papers.jsonl: {g!r}")
    if len(gold) != len(set(gold)):
        err(f"{qid}: duplicate gold titles")
    if typ == "unanswerable":
        if gold or kps:
            err(f"{qid}: unanswerable must have empty gold_titles and keypoints")
        continue
    if typ in ("single_fact", "which_paper", "summary", "follow_up") and len(gold) != 1:
        err(f"{qid}: {typ} needs exactly 1 gold title")
    if typ == "multi_paper" and not (2 <= len(gold) <= 4):
        err(f"{qid}: multi_paper needs 2-4 gold titles")
    if typ == "comparison" and len(gold) != 2:
        err(f"{qid}: comparison needs exactly 2 gold titles")
    if typ in ("single_fact", "summary", "follow_up", "comparison") and not kps:
        err(f"{qid}: {typ} should have keypoints")
    if typ == "summary" and not (2 <= len(kps) <= 3):
        err(f"{qid}: summary should have 2-3 keypoints")
    gold_text = " ".join(title_to_abs.get(g, "") for g in gold).lower()
    for alts in kps:
        if not (isinstance(alts, list) and alts and all(isinstance(a, str) and a.strip() for a in alts)):
            err(f"{qid}: each keypoint must be a non-empty list of non-empty strings")
            continue
        if not any(a.lower() in gold_text for a in alts):
            err(f"{qid}: no alternative of keypoint {alts} appears in gold abstract(s)")

for text, n in qtexts.items():
    if n > 1:
        err(f"duplicate question text: {text[:60]}")

# ---------- qmeta ----------
try:
    with open(os.path.join(HERE, "qmeta.json"), encoding="utf-8") as f:
        qmeta = json.load(f)
except (OSError, json.JSONDecodeError) as e:
    err(f"qmeta.json unreadable: {e}")
    qmeta = {}
if not isinstance(qmeta, dict):
    err("qmeta.json must be an object")
    qmeta = {}
qtype = {q.get("id"): q.get("type") for q in qs}
if set(qmeta) != set(qtype):
    err(
        f"qmeta ids differ from questions: missing {sorted(set(qtype) - set(qmeta))}, "
        f"extra {sorted(set(qmeta) - set(qtype))}"
    )
sub_counts = Counter()
for qid, sub in qmeta.items():
    sub_counts[sub] += 1
    t = qtype.get(qid)
    if t is None:
        continue
    if t == "unanswerable":
        if sub not in UNANSWERABLE_SUB:
            err(f"{qid}: unanswerable question has sub_type {sub!r}")
    elif sub not in ANSWERABLE_SUB:
        err(f"{qid}: answerable question has sub_type {sub!r}")
for sub, n in UNANSWERABLE_SUB.items():
    if sub_counts.get(sub, 0) != n:
        err(f"sub_type '{sub}': expected {n}, found {sub_counts.get(sub, 0)}")

# ---------- paraphrase check ----------
for q in qs:
    qid = q.get("id")
    if qmeta.get(qid) != "paraphrased" or not isinstance(q.get("question"), str):
        continue
    qgrams = ngrams(content_words(q["question"]))
    for g in q.get("gold_titles", []):
        shared = qgrams & ngrams(content_words(title_to_abs.get(g, "")))
        if shared:
            err(
                f"{qid}: paraphrased question shares content-word 3-gram(s) with gold abstract "
                f"'{g[:50]}': {sorted(' '.join(s) for s in shared)}"
            )

# ---------- summary ----------
answerable = [q for q in qs if q.get("type") != "unanswerable"]
print(f"papers: {len(papers)} (unique titles: {len(title_to_abs)})")
print(f"questions: {len(qs)} | types: " + ", ".join(f"{t}={type_counts.get(t, 0)}" for t in EXPECTED_TYPES))
print("sub_types: " + ", ".join(f"{s}={n}" for s, n in sorted(sub_counts.items())))
print(f"answerable: {len(answerable)}, unanswerable: {type_counts.get('unanswerable', 0)}")
if errors:
    print(f"\nFAILED with {len(errors)} problem(s):")
    for e in errors:
        print("  - " + e)
    sys.exit(1)
print("\nALL CHECKS PASSED")
