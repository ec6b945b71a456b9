#!/usr/bin/env python3
"""Validate papers.jsonl and questions.jsonl of the life_energy collection (stdlib only)."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PAPER_KEYS = {"title", "abstract", "authors", "year", "venue", "doi", "url", "field"}
Q_KEYS = {"id", "type", "question", "history", "gold_titles", "keypoints", "notes"}
EXPECTED = {"single_fact": 10, "which_paper": 5, "multi_paper": 4, "summary": 3,
            "comparison": 3, "follow_up": 3, "unanswerable": 22}
errors = []


def err(msg):
    errors.append(msg)


def load(name):
    rows = []
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                err(f"{name}:{n}: bad JSON ({e})")
    return rows


papers = load("papers.jsonl")
titles = {}
fields = {}
for i, p in enumerate(papers, 1):
    if set(p) != PAPER_KEYS:
        err(f"paper {i}: keys {sorted(p)} != {sorted(PAPER_KEYS)}")
        continue
    for k in ("title", "abstract", "authors", "venue", "doi", "url", "field"):
        if not isinstance(p[k], str):
            err(f"paper {i}: {k} must be a string")
    if not (p["year"] is None or isinstance(p["year"], int)):
        err(f"paper {i}: year must be int or null")
    if not p["title"].strip() or not p["abstract"].strip() or not p["url"].strip():
        err(f"paper {i}: empty title/abstract/url")
    if p["title"] in titles:
        err(f"paper {i}: duplicate title {p['title']!r}")
    titles[p["title"]] = p["abstract"]
    fields[p["field"]] = fields.get(p["field"], 0) + 1
if len(papers) < 36:
    err(f"only {len(papers)} papers")
if len(fields) < 3 or any(c < 10 for c in fields.values()):
    err(f"field counts not OK: {fields}")

questions = load("questions.jsonl")
counts = {}
for i, q in enumerate(questions, 1):
    qid = q.get("id")
    if set(q) != Q_KEYS:
        err(f"question {i}: keys {sorted(q)} != {sorted(Q_KEYS)}")
        continue
    if qid != "n%03d" % i:
        err(f"question {i}: id {qid!r}, expected n{i:03d}")
    t = q["type"]
    counts[t] = counts.get(t, 0) + 1
    if t not in EXPECTED:
        err(f"{qid}: unknown type {t!r}")
    if not isinstance(q["question"], str) or not q["question"].strip():
        err(f"{qid}: empty question")
    if not isinstance(q["notes"], str) or not q["notes"].strip():
        err(f"{qid}: empty notes")
    if not isinstance(q["history"], list):
        err(f"{qid}: history must be a list")
    if not isinstance(q["gold_titles"], list) or not isinstance(q["keypoints"], list):
        err(f"{qid}: gold_titles/keypoints must be lists")
        continue
    for g in q["gold_titles"]:
        if g not in titles:
            err(f"{qid}: gold title not in papers: {g!r}")
    if t == "follow_up":
        h = q["history"]
        if not h or not all(isinstance(m, list) and len(m) == 2 and all(isinstance(x, str) and x.strip() for x in m)
                            for m in h):
            err(f"{qid}: follow_up needs a history of [question, answer] pairs")
    elif q["history"]:
        err(f"{qid}: non-follow-up question has history")
    if t == "unanswerable":
        if q["gold_titles"] or q["keypoints"]:
            err(f"{qid}: unanswerable must have empty gold_titles and keypoints")
        continue
    if not q["gold_titles"]:
        err(f"{qid}: answerable question without gold titles")
    if t == "multi_paper" and not 2 <= len(q["gold_titles"]) <= 4:
        err(f"{qid}: multi_paper needs 2-4 gold titles")
    if t == "comparison" and len(q["gold_titles"]) < 2:
        err(f"{qid}: comparison needs >= 2 gold titles")
    if not 1 <= len(q["keypoints"]) <= 3:
        err(f"{qid}: needs 1-3 keypoint groups")
    gold_text = " ".join(titles.get(g, "") for g in q["gold_titles"]).lower()
    for grp in q["keypoints"]:
        if not isinstance(grp, list) or not grp:
            err(f"{qid}: keypoint group must be a non-empty list")
            continue
        for alt in grp:
            if not isinstance(alt, str) or alt.lower() not in gold_text:
                err(f"{qid}: keypoint {alt!r} not found in gold abstract(s)")

for t, n in EXPECTED.items():
    if counts.get(t, 0) != n:
        err(f"type {t}: {counts.get(t, 0)} questions, expected {n}")
if len(questions) != sum(EXPECTED.values()):
    err(f"{len(questions)} questions, expected {sum(EXPECTED.values())}")

if errors:
    for e in errors:
        print("FAIL:", e)
    sys.exit(1)
print("OK")
