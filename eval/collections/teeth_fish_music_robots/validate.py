#!/usr/bin/env python3
"""Standalone validator for the fresh_coll14 evaluation collection (stdlib only)."""

import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
TYPE_COUNTS = {
    "single_fact": 10,
    "which_paper": 5,
    "multi_paper": 4,
    "summary": 4,
    "follow_up": 4,
    "comparison": 3,
    "unanswerable": 20,
}
ANS_SUB = {"paraphrased", "terse", "plain"}
UNANS_SUB = {"near_miss": 9, "general_knowledge": 6, "absent_topic": 5}
STOPWORDS = set(
    """a about above after again against all also am an and any are aren't as at be because been
before being below between both but by can could did do does doing done down during each either etc few for from
further had has have having he her here hers herself him himself his how i if in into is it its itself just let
me more most my myself no nor not of off on once only or other our ours ourselves out over own per same she
should so some such than that the their theirs them themselves then there these they this those through to too
under until up upon us very via was we were what when where which while who whom why will with within without
would you your yours yourself yourselves one ones two vs versus s t""".split()
)

errors = []


def err(msg):
    errors.append(msg)


def load_jsonl(name):
    rows = []
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except Exception as e:
                    err(f"{name}:{i} bad JSON: {e}")
    return rows


def content_tokens(text):
    toks = re.findall(r"[a-z0-9]+", text.lower())
    return [t for t in toks if t not in STOPWORDS]


def ngrams(toks, n=3):
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


papers = load_jsonl("papers.jsonl")
questions = load_jsonl("questions.jsonl")
with open(os.path.join(HERE, "qmeta.json"), encoding="utf-8") as f:
    qmeta = json.load(f)

# papers
if len(papers) != 48:
    err(f"expected 48 papers, got {len(papers)}")
fields = ["title", "abstract", "authors", "year", "venue", "doi"]
for i, p in enumerate(papers):
    for k in fields:
        if k not in p:
            err(f"paper {i} missing field {k}")
    if not isinstance(p.get("title"), str) or not p.get("title", "").strip():
        err(f"paper {i} empty title")
    if not isinstance(p.get("abstract"), str) or len(p.get("abstract", "").split()) < 80:
        err(f"paper {i} abstract missing or under 80 words")
    if not isinstance(p.get("authors"), list):
        err(f"paper {i} authors not a list")
    if p.get("year") is not None and not isinstance(p.get("year"), int):
        err(f"paper {i} year not int/null")
    if not isinstance(p.get("venue"), str) or not isinstance(p.get("doi"), str):
        err(f"paper {i} venue/doi not str")
titles = [p.get("title") for p in papers]
dup = [t for t, c in Counter(titles).items() if c > 1]
if dup:
    err(f"duplicate titles: {dup}")
by_title = {p["title"]: p for p in papers if "title" in p}

# questions
if len(questions) != 50:
    err(f"expected 50 questions, got {len(questions)}")
ids = [q.get("id") for q in questions]
expected_ids = [f"v{i:03d}" for i in range(1, 51)]
if sorted(ids) != expected_ids:
    err("question ids are not exactly v001..v050 (unique)")
tc = Counter(q.get("type") for q in questions)
if dict(tc) != TYPE_COUNTS:
    err(f"type counts {dict(tc)} != {TYPE_COUNTS}")
qkeys = ["id", "type", "question", "history", "gold_titles", "keypoints", "notes"]
for q in questions:
    qid = q.get("id")
    for k in qkeys:
        if k not in q:
            err(f"{qid} missing key {k}")
    if not isinstance(q.get("question"), str) or not q.get("question", "").strip():
        err(f"{qid} empty question")
    if not isinstance(q.get("notes"), str) or not q.get("notes", "").strip():
        err(f"{qid} empty notes")
    hist = q.get("history", [])
    if not isinstance(hist, list) or any(
        not (isinstance(h, list) and len(h) == 2 and all(isinstance(s, str) for s in h)) for h in hist
    ):
        err(f"{qid} malformed history")
    gold = q.get("gold_titles", [])
    kps = q.get("keypoints", [])
    if q.get("type") == "unanswerable":
        if gold or kps:
            err(f"{qid} unanswerable but has gold/keypoints")
    else:
        if not gold:
            err(f"{qid} answerable without gold titles")
        if not kps or len(kps) > 3:
            err(f"{qid} needs 1-3 keypoints")
        missing = [t for t in gold if t not in by_title]
        if missing:
            err(f"{qid} gold titles not in papers: {missing}")
        gold_abs = [by_title[t]["abstract"].lower() for t in gold if t in by_title]
        for kp in kps:
            if not isinstance(kp, list) or not kp:
                err(f"{qid} keypoint not a non-empty list")
                continue
            if not any(alt.lower() in a for alt in kp for a in gold_abs):
                err(f"{qid} keypoint {kp} not found in any gold abstract")
    if q.get("type") == "follow_up" and not hist:
        err(f"{qid} follow_up without history")
    if q.get("type") != "follow_up" and hist:
        err(f"{qid} non-follow_up has history")
    if q.get("type") == "comparison" and len(gold) != 2:
        err(f"{qid} comparison needs 2 gold titles")
    if q.get("type") == "multi_paper" and len(gold) < 2:
        err(f"{qid} multi_paper needs >=2 gold titles")
    if q.get("type") in ("single_fact", "follow_up", "which_paper", "summary") and len(gold) != 1:
        err(f"{qid} {q.get('type')} should have exactly 1 gold title")

# qmeta
if set(qmeta) != set(expected_ids):
    err("qmeta keys do not cover exactly v001..v050")
qtype = {q.get("id"): q.get("type") for q in questions}
sub_counts = Counter()
for qid, sub in qmeta.items():
    t = qtype.get(qid)
    if t == "unanswerable":
        if sub not in UNANS_SUB:
            err(f"{qid} unanswerable with sub-type {sub}")
    elif sub not in ANS_SUB:
        err(f"{qid} answerable with sub-type {sub}")
    sub_counts[sub] += 1
for sub, n in UNANS_SUB.items():
    if sub_counts[sub] != n:
        err(f"sub-type {sub} count {sub_counts[sub]} != {n}")

# paraphrase check
para_ok = 0
for q in questions:
    if qmeta.get(q.get("id")) != "paraphrased":
        continue
    qg = ngrams(content_tokens(q.get("question", "")))
    shared = set()
    for t in q.get("gold_titles", []):
        if t in by_title:
            shared |= qg & ngrams(content_tokens(by_title[t]["abstract"]))
    if shared:
        err(f"{q['id']} paraphrased but shares 3-grams with gold abstract: {sorted(shared)}")
    else:
        para_ok += 1

print(f"papers: {len(papers)} (unique titles: {len(set(titles))})")
print(f"questions: {len(questions)}; types: {dict(sorted(tc.items()))}")
print(f"sub-types: {dict(sorted(sub_counts.items()))}")
print(f"paraphrased questions passing 3-gram check: {para_ok}")
if errors:
    print(f"FAILED with {len(errors)} error(s):")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("OK: all checks passed")
