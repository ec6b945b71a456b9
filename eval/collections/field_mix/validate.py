#!/usr/bin/env python3
"""Validate the field_mix evaluation collection (standard library only).

Usage: python eval/collections/field_mix/validate.py
The collection was scaled down (46 abstracts instead of ~60), so question
counts follow the proportional scaling documented in SOURCES.md.
"""
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
PAPER_KEYS = {"title", "abstract", "authors", "year", "venue", "doi", "url", "field"}
Q_KEYS = {"id", "type", "question", "history", "gold_titles", "keypoints"}
FIELDS = {"agriculture", "oceanography", "law_criminology", "education"}
EXPECTED_TYPES = {
    "single_fact": 11, "which_paper": 6, "summary": 3, "comparison": 3,
    "list": 3, "follow_up": 3, "unanswerable": 18,
}
N_QUESTIONS = sum(EXPECTED_TYPES.values())  # 47
MIN_PAPERS = 45

errors = []


def err(msg):
    errors.append(msg)


def load_jsonl(name):
    rows = []
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                err(f"{name}:{i}: blank line")
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                err(f"{name}:{i}: invalid JSON ({e})")
    return rows


papers = load_jsonl("papers.jsonl")
questions = load_jsonl("questions.jsonl")

# ---- papers ----
if len(papers) < MIN_PAPERS:
    err(f"only {len(papers)} papers (< {MIN_PAPERS})")
titles = {}
for i, p in enumerate(papers, 1):
    if set(p) != PAPER_KEYS:
        err(f"paper {i}: keys {sorted(p)} != {sorted(PAPER_KEYS)}")
        continue
    t = p["title"]
    if not isinstance(t, str) or not t.strip():
        err(f"paper {i}: empty title")
    if t in titles:
        err(f"paper {i}: duplicate title {t!r}")
    titles[t] = p
    if not isinstance(p["abstract"], str) or len(p["abstract"].strip()) < 400:
        err(f"paper {i} ({t[:40]}): abstract shorter than 400 chars")
    if not isinstance(p["url"], str) or not re.match(r"https?://", p["url"]):
        err(f"paper {i} ({t[:40]}): missing/invalid url")
    if p["field"] not in FIELDS:
        err(f"paper {i} ({t[:40]}): unknown field {p['field']!r}")
    if p["year"] is not None and not isinstance(p["year"], int):
        err(f"paper {i}: year must be int or null")
    for k in ("authors", "venue", "doi"):
        if not isinstance(p[k], str):
            err(f"paper {i}: {k} must be a string")
field_counts = Counter(p.get("field") for p in papers)
if len([f for f in field_counts if field_counts[f] > 0]) < 3:
    err("fewer than 3 fields represented")

# ---- questions ----
if len(questions) != N_QUESTIONS:
    err(f"{len(questions)} questions, expected {N_QUESTIONS}")
ids = [q.get("id") for q in questions]
if ids != [f"m{i:03d}" for i in range(1, len(questions) + 1)]:
    err("ids are not m001..mNNN in order")
if len(set(ids)) != len(ids):
    err("duplicate ids")
type_counts = Counter(q.get("type") for q in questions)
if dict(type_counts) != EXPECTED_TYPES:
    err(f"type counts {dict(type_counts)} != {EXPECTED_TYPES}")

for q in questions:
    qid = q.get("id")
    if set(q) != Q_KEYS:
        err(f"{qid}: keys {sorted(q)} != {sorted(Q_KEYS)}")
        continue
    if not isinstance(q["question"], str) or not q["question"].strip():
        err(f"{qid}: empty question")
    typ = q["type"]
    gold, kps, hist = q["gold_titles"], q["keypoints"], q["history"]
    if typ == "unanswerable":
        if gold or kps:
            err(f"{qid}: unanswerable must have empty gold_titles and keypoints")
    else:
        if not gold:
            err(f"{qid}: answerable question without gold_titles")
        if not (1 <= len(kps) <= 3):
            err(f"{qid}: needs 1-3 keypoints, has {len(kps)}")
        for g in gold:
            if g not in titles:
                err(f"{qid}: gold title not in papers: {g!r}")
        gold_text = " ".join(titles[g]["abstract"].lower() for g in gold if g in titles)
        for kp in kps:
            if not isinstance(kp, list) or not kp:
                err(f"{qid}: keypoint must be a non-empty list of alternatives")
                continue
            for alt in kp:
                if not isinstance(alt, str) or not alt.strip():
                    err(f"{qid}: empty keypoint alternative")
                    continue
                if not (1 <= len(alt.split()) <= 6):
                    err(f"{qid}: keypoint alternative not 1-6 words: {alt!r}")
                if alt.lower() not in gold_text:
                    err(f"{qid}: keypoint alternative not found verbatim in gold abstracts: {alt!r}")
    if typ == "list" and not (2 <= len(gold) <= 4):
        err(f"{qid}: list question needs 2-4 gold papers")
    if typ == "comparison" and len(gold) < 2:
        err(f"{qid}: comparison question needs >= 2 gold papers")
    if typ == "follow_up":
        if not (isinstance(hist, list) and len(hist) >= 1 and all(
                isinstance(h, list) and len(h) == 2 and all(isinstance(s, str) and s for s in h) for h in hist)):
            err(f"{qid}: follow_up needs history [[question, answer], ...]")
    elif hist != []:
        err(f"{qid}: only follow_up questions may have history")

if errors:
    for e in errors:
        print("FAIL:", e)
    print(f"{len(errors)} problem(s) found")
    sys.exit(1)
print(f"papers: {len(papers)} {dict(field_counts)}")
print(f"questions: {len(questions)} {dict(type_counts)}")
print("ALL CHECKS PASSED")
