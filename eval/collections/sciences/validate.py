#!/usr/bin/env python3
"""Standalone validator for the sciences evaluation collection (standard library only).

Checks papers.jsonl and questions.jsonl in this directory:
  * papers: key order, types, unique titles, abstract length 400-3000 chars
  * questions: key order, id sequence s001.., allowed types and minimum counts,
    gold titles exist, keypoint alternatives occur verbatim (case-insensitive) in a
    gold abstract or title, keypoint length, unanswerable questions have empty
    gold_titles/keypoints, follow_up history shape, paper reuse limit.
Exit status 0 when clean, 1 otherwise.
"""
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
PAPER_KEYS = ["title", "abstract", "url", "field", "authors", "year", "venue", "doi"]
Q_KEYS = ["id", "type", "question", "history", "gold_titles", "keypoints"]
MIN_COUNTS = {"single_fact": 25, "which_paper": 12, "multi_paper": 10, "acronym": 8,
              "summary": 8, "follow_up": 10, "unanswerable": 28}
MAX_USES_PER_PAPER = 3
MIN_PAPERS, MIN_FIELDS, MIN_QUESTIONS = 90, 4, 100

errors = []


def err(msg):
    errors.append(msg)


def load_jsonl(name):
    rows = []
    with open(os.path.join(HERE, name), encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                err(f"{name}:{n}: blank line")
                continue
            try:
                rows.append((n, json.loads(line)))
            except json.JSONDecodeError as e:
                err(f"{name}:{n}: invalid JSON ({e})")
    return rows


papers = load_jsonl("papers.jsonl")
by_title = {}
for n, p in papers:
    if list(p.keys()) != PAPER_KEYS:
        err(f"papers.jsonl:{n}: keys {list(p.keys())} != {PAPER_KEYS}")
        continue
    for k in ("title", "abstract", "url", "field"):
        if not isinstance(p[k], str) or not p[k].strip():
            err(f"papers.jsonl:{n}: {k} must be a non-empty string")
    if not isinstance(p["authors"], list) or not all(isinstance(a, str) for a in p["authors"]):
        err(f"papers.jsonl:{n}: authors must be a list of strings")
    if p["year"] is not None and not isinstance(p["year"], int):
        err(f"papers.jsonl:{n}: year must be int or null")
    for k in ("venue", "doi"):
        if p[k] is not None and not isinstance(p[k], str):
            err(f"papers.jsonl:{n}: {k} must be str or null")
    if not 400 <= len(p["abstract"]) <= 3000:
        err(f"papers.jsonl:{n}: abstract length {len(p['abstract'])} outside 400-3000")
    if not p["url"].startswith(("http://", "https://")):
        err(f"papers.jsonl:{n}: url is not http(s)")
    if p["title"] in by_title:
        err(f"papers.jsonl:{n}: duplicate title {p['title']!r}")
    by_title[p["title"]] = p

if len(by_title) < MIN_PAPERS:
    err(f"only {len(by_title)} papers (need >= {MIN_PAPERS})")
fields = Counter(p["field"] for p in by_title.values())
if len(fields) < MIN_FIELDS:
    err(f"only {len(fields)} fields (need >= {MIN_FIELDS})")

questions = load_jsonl("questions.jsonl")
if len(questions) < MIN_QUESTIONS:
    err(f"only {len(questions)} questions (need >= {MIN_QUESTIONS})")
types = Counter()
uses = Counter()
for idx, (n, q) in enumerate(questions, 1):
    where = f"questions.jsonl:{n}"
    if list(q.keys()) != Q_KEYS:
        err(f"{where}: keys {list(q.keys())} != {Q_KEYS}")
        continue
    if q["id"] != f"s{idx:03d}":
        err(f"{where}: id {q['id']!r} != expected s{idx:03d}")
    t = q["type"]
    if t not in MIN_COUNTS:
        err(f"{where}: unknown type {t!r}")
    types[t] += 1
    if not isinstance(q["question"], str) or not q["question"].strip():
        err(f"{where}: empty question")
    hist = q["history"]
    if not isinstance(hist, list) or not all(
            isinstance(turn, list) and len(turn) == 2 and all(isinstance(x, str) and x.strip() for x in turn)
            for turn in hist):
        err(f"{where}: history must be a list of [question, answer] string pairs")
    if t == "follow_up" and len(hist) != 1:
        err(f"{where}: follow_up must have exactly one history turn")
    if t != "follow_up" and hist:
        err(f"{where}: only follow_up questions carry history")
    gold, kps = q["gold_titles"], q["keypoints"]
    if not isinstance(gold, list) or not isinstance(kps, list):
        err(f"{where}: gold_titles and keypoints must be lists")
        continue
    if t == "unanswerable":
        if gold or kps:
            err(f"{where}: unanswerable must have empty gold_titles and keypoints")
        continue
    if not gold:
        err(f"{where}: answerable question without gold_titles")
    if len(set(gold)) != len(gold):
        err(f"{where}: duplicate gold title")
    if t == "multi_paper" and not 2 <= len(gold) <= 5:
        err(f"{where}: multi_paper needs 2-5 gold titles, has {len(gold)}")
    if t != "multi_paper" and len(gold) != 1:
        err(f"{where}: {t} should have exactly one gold title")
    texts = []
    for g in gold:
        if g not in by_title:
            err(f"{where}: gold title not in papers.jsonl: {g!r}")
        else:
            uses[g] += 1
            texts.append((by_title[g]["title"] + "\n" + by_title[g]["abstract"]).lower())
    if not 1 <= len(kps) <= 3:
        err(f"{where}: needs 1-3 keypoints, has {len(kps)}")
    for kp in kps:
        if not isinstance(kp, list) or not kp or not all(isinstance(a, str) and a.strip() for a in kp):
            err(f"{where}: each keypoint must be a non-empty list of strings")
            continue
        for alt in kp:
            if len(alt.split()) > 4:
                err(f"{where}: keypoint alternative longer than 4 words: {alt!r}")
            if texts and not any(alt.lower() in tx for tx in texts):
                err(f"{where}: keypoint {alt!r} not found in any gold abstract/title")

for t, m in MIN_COUNTS.items():
    if types[t] < m:
        err(f"type {t}: {types[t]} questions (need >= {m})")
for g, c in uses.items():
    if c > MAX_USES_PER_PAPER:
        err(f"paper used {c} times (max {MAX_USES_PER_PAPER}): {g!r}")

if errors:
    print("\n".join(errors))
    print(f"FAILED: {len(errors)} problem(s)")
    sys.exit(1)
unused = [t for t in by_title if t not in uses]
print(f"OK: {len(by_title)} papers in {len(fields)} fields {dict(fields)}")
print(f"OK: {len(questions)} questions {dict(types)}")
print(f"papers used as gold: {len(uses)}/{len(by_title)}; unused: {len(unused)}")
