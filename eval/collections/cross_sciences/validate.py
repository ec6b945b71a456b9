#!/usr/bin/env python3
"""Validate papers.jsonl, questions.jsonl and qmeta.json (standard library only)."""

import collections
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
errors = []


def err(msg):
    errors.append(msg)


PAPER_KEYS = {"title", "abstract", "authors", "year", "venue", "url", "doi"}
Q_KEYS = {"id", "type", "question", "history", "gold_titles", "keypoints", "notes"}
TYPES = {"single_fact", "which_paper", "multi_paper", "summary", "comparison", "follow_up", "unanswerable"}
TYPE_COUNTS = {
    "single_fact": 10,
    "which_paper": 5,
    "multi_paper": 4,
    "summary": 4,
    "comparison": 3,
    "follow_up": 4,
    "unanswerable": 20,
}
ANS_STYLES = {"paraphrased", "terse", "plain"}
UNANS_STYLES = {"near_miss": 9, "general_knowledge": 6, "absent_topic": 5}


def load_jsonl(name):
    rows = []
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                err(f"{name}:{n}: blank line")
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                err(f"{name}:{n}: bad JSON ({e})")
    return rows


# ---- papers
papers = load_jsonl("papers.jsonl")
titles = {}
for i, p in enumerate(papers, 1):
    if not isinstance(p, dict) or set(p) != PAPER_KEYS:
        err(f"paper {i}: keys {sorted(p) if isinstance(p, dict) else type(p)} != {sorted(PAPER_KEYS)}")
        continue
    for k in ("title", "abstract", "venue", "url", "doi"):
        if not isinstance(p[k], str):
            err(f"paper {i}: {k} not str")
    if not p["title"].strip() or not p["abstract"].strip():
        err(f"paper {i}: empty title/abstract")
    if not p["url"].startswith("http"):
        err(f"paper {i}: url not http(s)")
    if not (isinstance(p["authors"], list) and all(isinstance(a, str) for a in p["authors"])):
        err(f"paper {i}: authors must be list of str")
    if not (p["year"] is None or (isinstance(p["year"], int) and not isinstance(p["year"], bool))):
        err(f"paper {i}: year must be int or null")
    if p["title"] in titles:
        err(f"paper {i}: duplicate title {p['title']!r}")
    titles[p["title"]] = p
if len(papers) != 48:
    err(f"expected 48 papers, got {len(papers)}")

# ---- questions
qs = load_jsonl("questions.jsonl")
ids = [q.get("id") for q in qs if isinstance(q, dict)]
expected_ids = ["y%03d" % i for i in range(1, 51)]
if sorted(ids) != expected_ids:
    err("ids must be exactly y001..y050, unique")
if len(set(ids)) != len(ids):
    err("duplicate ids")
counts = collections.Counter()
for q in qs:
    qid = q.get("id", "?")
    if set(q) != Q_KEYS:
        err(f"{qid}: keys {sorted(q)} != {sorted(Q_KEYS)}")
        continue
    t = q["type"]
    if t not in TYPES:
        err(f"{qid}: bad type {t}")
        continue
    counts[t] += 1
    if not isinstance(q["question"], str) or not q["question"].strip():
        err(f"{qid}: empty question")
    if not isinstance(q["notes"], str) or not q["notes"].strip():
        err(f"{qid}: empty notes")
    h = q["history"]
    if not isinstance(h, list) or not all(
        isinstance(x, list) and len(x) == 2 and all(isinstance(s, str) and s.strip() for s in x) for x in h
    ):
        err(f"{qid}: history must be list of [question, answer] pairs")
    if t == "follow_up":
        if len(h) != 1:
            err(f"{qid}: follow_up needs exactly one earlier exchange")
    elif h:
        err(f"{qid}: history must be empty for {t}")
    gold, kps = q["gold_titles"], q["keypoints"]
    if not isinstance(gold, list) or not isinstance(kps, list):
        err(f"{qid}: gold_titles/keypoints must be lists")
        continue
    for g in gold:
        if g not in titles:
            err(f"{qid}: gold title not in papers: {g!r}")
    if len(set(gold)) != len(gold):
        err(f"{qid}: duplicate gold titles")
    if t == "unanswerable":
        if gold or kps:
            err(f"{qid}: unanswerable must have empty gold_titles and keypoints")
        continue
    if not gold:
        err(f"{qid}: answerable question without gold titles")
    if not kps:
        err(f"{qid}: answerable question without keypoints")
    if t == "multi_paper" and len(gold) < 2:
        err(f"{qid}: multi_paper needs 2+ gold titles")
    if t == "comparison" and len(gold) != 2:
        err(f"{qid}: comparison needs exactly 2 gold titles")
    if t in ("single_fact", "which_paper", "summary", "follow_up") and len(gold) != 1:
        err(f"{qid}: {t} should have exactly 1 gold title")
    gold_text = " \n ".join(titles[g]["title"] + " \n " + titles[g]["abstract"] for g in gold if g in titles).lower()
    for kp in kps:
        if not (isinstance(kp, list) and kp and all(isinstance(a, str) and a.strip() for a in kp)):
            err(f"{qid}: keypoint must be a non-empty list of strings: {kp!r}")
            continue
        if not any(a.lower() in gold_text for a in kp):
            err(f"{qid}: keypoint {kp!r} not found in any gold title/abstract")
for t, n in TYPE_COUNTS.items():
    if counts[t] != n:
        err(f"type {t}: expected {n}, got {counts[t]}")

# ---- qmeta
meta = json.load(open(os.path.join(HERE, "qmeta.json"), encoding="utf-8"))
if sorted(meta) != expected_ids:
    err("qmeta.json must cover exactly y001..y050")
qtype = {q["id"]: q["type"] for q in qs if isinstance(q, dict) and "id" in q and "type" in q}
mcount = collections.Counter()
for qid, style in meta.items():
    mcount[style] += 1
    t = qtype.get(qid)
    if t is None:
        continue
    if t == "unanswerable" and style not in UNANS_STYLES:
        err(f"{qid}: unanswerable needs near_miss/general_knowledge/absent_topic, got {style}")
    if t != "unanswerable" and style not in ANS_STYLES:
        err(f"{qid}: answerable needs paraphrased/terse/plain, got {style}")
for s, n in UNANS_STYLES.items():
    if mcount[s] != n:
        err(f"qmeta {s}: expected {n}, got {mcount[s]}")

if errors:
    print("\n".join("ERROR: " + e for e in errors))
    sys.exit(1)
print(f"papers={len(papers)} questions={len(qs)} types={dict(counts)} styles={dict(mcount)}")
print("OK")
