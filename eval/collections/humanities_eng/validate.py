#!/usr/bin/env python3
"""Checks papers.jsonl and questions.jsonl of the humanities_eng collection.

Standard library only. Exits 0 when every check passes, 1 otherwise.
Run from anywhere: python3 validate.py
"""
import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PAPER_KEYS = ["title", "abstract", "url", "field", "authors", "year", "venue", "doi"]
QUESTION_KEYS = ["id", "type", "question", "history", "gold_titles", "keypoints"]
MIN_COUNTS = {
    "single_fact": 25,
    "which_paper": 12,
    "multi_paper": 10,
    "acronym": 8,
    "summary": 8,
    "follow_up": 10,
    "unanswerable": 30,
}
N_PAPERS = (85, 105)
N_QUESTIONS = (110, 130)
ABSTRACT_LEN = (400, 3000)
MAX_GOLD_USES = 3
STOPWORDS = set("""
the and for with that this these those from into onto than then they them their there
are was were been being have has had does did doing done will would could should shall
may might can not but nor its it's which what who whom whose when where why how any all
each both some such only own same other more most less very also just about above below
over under again further once here out off per via yet our ours your yours his her hers
him she one two three use used using within without between among across after before
during through while whether upon
""".split())
FOLLOW_UP_MARKERS = ("it", "its", "they", "them", "their", "that study", "this study",
                     "that paper", "this paper", "those", "these", "that", "there")

errors = []


def err(msg):
    errors.append(msg)


def load_jsonl(name):
    path = os.path.join(HERE, name)
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                err(f"{name}:{n}: blank line")
                continue
            try:
                rows.append(json.loads(line, object_pairs_hook=list))
            except json.JSONDecodeError as e:
                err(f"{name}:{n}: bad JSON ({e})")
    return rows


def content_words(text):
    words = re.findall(r"[a-z]+", text.lower())
    return [w for w in words if len(w) >= 3 and w not in STOPWORDS]


def trigrams(words):
    return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}


def keyed(name, expected):
    """(line number, record) for each line of ``name`` whose keys are ``expected``, in order."""
    for n, pairs in enumerate(load_jsonl(name), 1):
        keys = [k for k, _ in pairs]
        if keys != expected:
            err(f"{name}:{n}: keys {keys} != {expected}")
            continue
        yield n, dict(pairs)


# ---------------------------------------------------------------- papers
papers = []
for n, p in keyed("papers.jsonl", PAPER_KEYS):
    for k in ("title", "abstract", "url", "field", "venue", "doi"):
        if not isinstance(p[k], str):
            err(f"papers.jsonl:{n}: {k} is not a string")
    if not (isinstance(p["authors"], list) and all(isinstance(a, str) and a.strip() for a in p["authors"])):
        err(f"papers.jsonl:{n}: authors must be a list of non-empty strings")
    if not (p["year"] is None or (isinstance(p["year"], int) and not isinstance(p["year"], bool)
                                  and 1800 <= p["year"] <= 2030)):
        err(f"papers.jsonl:{n}: year must be an int (1800-2030) or null")
    if isinstance(p["url"], str) and not p["url"].startswith(("http://", "https://")):
        err(f"papers.jsonl:{n}: url does not start with http(s)://")
    if isinstance(p["title"], str) and not p["title"].strip():
        err(f"papers.jsonl:{n}: empty title")
    if isinstance(p["abstract"], str):
        L = len(p["abstract"])
        if not ABSTRACT_LEN[0] <= L <= ABSTRACT_LEN[1]:
            err(f"papers.jsonl:{n}: abstract length {L} outside {ABSTRACT_LEN}")
        if p["abstract"] != p["abstract"].strip() or "\n" in p["abstract"]:
            err(f"papers.jsonl:{n}: abstract has stray whitespace/newlines")
    papers.append(p)

if not N_PAPERS[0] <= len(papers) <= N_PAPERS[1]:
    err(f"papers.jsonl: {len(papers)} papers, expected {N_PAPERS}")
title_counts = collections.Counter(p["title"] for p in papers)
for t, c in title_counts.items():
    if c > 1:
        err(f"papers.jsonl: duplicate title {t!r}")
by_title = {p["title"]: p for p in papers}
fields = collections.Counter(p["field"] for p in papers)
if not 5 <= len(fields) <= 6:
    err(f"papers.jsonl: {len(fields)} fields, expected 5-6: {dict(fields)}")

# ------------------------------------------------------------- questions
questions = [q for _, q in keyed("questions.jsonl", QUESTION_KEYS)]

if not N_QUESTIONS[0] <= len(questions) <= N_QUESTIONS[1]:
    err(f"questions.jsonl: {len(questions)} questions, expected {N_QUESTIONS}")

type_counts = collections.Counter()
gold_uses = collections.Counter()
seen_text = set()
for i, q in enumerate(questions, 1):
    where = f"questions.jsonl:{i}"
    want_id = f"h{i:03d}"
    if q["id"] != want_id:
        err(f"{where}: id {q['id']!r}, expected {want_id!r}")
    qt = q["type"]
    if qt not in MIN_COUNTS:
        err(f"{where}: unknown type {qt!r}")
        continue
    type_counts[qt] += 1
    text = q["question"]
    if not (isinstance(text, str) and text.strip()):
        err(f"{where}: empty question")
        continue
    norm = " ".join(text.lower().split())
    if norm in seen_text:
        err(f"{where}: duplicate question text")
    seen_text.add(norm)

    # history
    hist = q["history"]
    if not isinstance(hist, list):
        err(f"{where}: history must be a list")
        hist = []
    if qt == "follow_up":
        ok = len(hist) >= 1 and all(
            isinstance(turn, list) and len(turn) == 2 and all(isinstance(s, str) and s.strip() for s in turn)
            for turn in hist)
        if not ok:
            err(f"{where}: follow_up history must be [[question, answer], ...]")
        low = " " + re.sub(r"[^a-z ]", " ", text.lower()) + " "
        if not any(f" {m} " in low for m in FOLLOW_UP_MARKERS):
            err(f"{where}: follow_up question does not refer back (it/they/that study ...)")
    elif hist != []:
        err(f"{where}: history must be [] for type {qt}")

    gold = q["gold_titles"]
    kps = q["keypoints"]
    if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
        err(f"{where}: gold_titles must be a list of strings")
        continue
    if not isinstance(kps, list) or not all(
            isinstance(kp, list) and kp and all(isinstance(a, str) and a.strip() for a in kp) for kp in kps):
        err(f"{where}: keypoints must be a list of non-empty lists of strings")
        continue
    if len(set(gold)) != len(gold):
        err(f"{where}: repeated gold title")

    if qt == "unanswerable":
        if gold or kps:
            err(f"{where}: unanswerable must have empty gold_titles and keypoints")
        continue

    if not gold:
        err(f"{where}: answerable question without gold_titles")
        continue
    missing = [g for g in gold if g not in by_title]
    if missing:
        err(f"{where}: gold title(s) not in papers.jsonl: {missing}")
        continue
    if qt == "multi_paper" and len(gold) < 2:
        err(f"{where}: multi_paper needs two or more gold titles")
    if qt != "multi_paper" and len(gold) != 1:
        err(f"{where}: {qt} should have exactly one gold title")
    lo, hi = (2, 3) if qt == "summary" else (1, 3)
    if not lo <= len(kps) <= hi:
        err(f"{where}: {len(kps)} keypoints, expected {lo}-{hi} for {qt}")
    haystack = [(by_title[g]["abstract"] + " " + g).lower() for g in gold]
    for kp in kps:
        for alt in kp:
            if not any(alt.lower() in h for h in haystack):
                err(f"{where}: keypoint alternative {alt!r} not found verbatim in a gold abstract/title")
    for g in gold:
        gold_uses[g] += 1
    # paraphrase check against each gold abstract
    qgrams = trigrams(content_words(text))
    for g in gold:
        shared = qgrams & trigrams(content_words(by_title[g]["abstract"]))
        if shared:
            err(f"{where}: shares content-word run(s) {sorted(' '.join(s) for s in shared)} with abstract of {g[:60]!r}")

for t, c in gold_uses.items():
    if c > MAX_GOLD_USES:
        err(f"questions.jsonl: paper used as gold {c} times (> {MAX_GOLD_USES}): {t[:70]!r}")
for t, m in MIN_COUNTS.items():
    if type_counts[t] < m:
        err(f"questions.jsonl: {type_counts[t]} {t} questions, need at least {m}")

print(f"papers: {len(papers)}  fields: {dict(sorted(fields.items()))}")
print(f"questions: {len(questions)}  types: {dict(sorted(type_counts.items()))}")
print(f"papers used as gold: {len(gold_uses)} (max uses {max(gold_uses.values()) if gold_uses else 0})")
if errors:
    print(f"\n{len(errors)} problem(s):")
    for e in errors:
        print(" -", e)
    sys.exit(1)
print("OK")
