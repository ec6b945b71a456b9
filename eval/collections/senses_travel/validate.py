#!/usr/bin/env python3
"""Standard-library checker for the senses_travel evaluation set.

Run from any directory:  python3 /path/to/validate.py
Prints OK and exits 0 if every check passes; otherwise prints the errors and exits 1.
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PAPERS = os.path.join(HERE, "papers.jsonl")
QUESTIONS = os.path.join(HERE, "questions.jsonl")
QMETA = os.path.join(HERE, "qmeta.json")

PAPER_KEYS = ["title", "abstract", "authors", "year", "venue", "url", "doi"]
Q_KEYS = ["id", "type", "question", "history", "gold_titles", "keypoints", "notes"]
TYPE_COUNTS = {
    "single_fact": 10,
    "which_paper": 5,
    "multi_paper": 4,
    "summary": 4,
    "comparison": 3,
    "follow_up": 4,
    "unanswerable": 20,
}
ANSWERABLE_STYLES = {"paraphrased": 15, "terse": 12, "plain": 3}
UNANSWERABLE_STYLES = {"near_miss": 9, "general_knowledge": 6, "absent_topic": 5}

STOPWORDS = set(
    """
a about above after again against all also am an and any are aren as at be because been before being
below between both but by can cannot could couldn did didn do does doesn doing don down during each
either else ever few for from further get got had hadn has hasn have haven having he her here hers
herself him himself his how i if in into is isn it its itself just let ll me might more most must
mustn my myself no nor not now of off on once only or other ought our ours ourselves out over own
per re s same shall shan she should shouldn so some such t than that the their theirs them themselves
then there these they this those through to too under until up upon us ve very was wasn we were
weren what when where which while who whom whose why will with within without won would wouldn you
your yours yourself yourselves d m o y ma isn via vs versus etc e g eg ie i.e one
""".split()
)

errors = []


def err(msg):
    errors.append(msg)


def load_jsonl(path):
    rows = []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    err(f"{os.path.basename(path)} line {n}: invalid JSON ({e})")
    except OSError as e:
        err(f"cannot read {path}: {e}")
    return rows


def content_tokens(text):
    return [t for t in re.findall(r"[a-z0-9]+", text.lower()) if t not in STOPWORDS]


def trigrams(tokens):
    return {tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)}


# ---------------- papers ----------------
papers = load_jsonl(PAPERS)
if len(papers) != 48:
    err(f"papers.jsonl: expected 48 papers, found {len(papers)}")
abstract_by_title = {}
for i, p in enumerate(papers, 1):
    if not isinstance(p, dict):
        err(f"paper {i}: not an object")
        continue
    if set(p.keys()) != set(PAPER_KEYS):
        err(f"paper {i}: keys {sorted(p.keys())} != {sorted(PAPER_KEYS)}")
    t = p.get("title")
    if not isinstance(t, str) or not t.strip():
        err(f"paper {i}: empty title")
        continue
    if t in abstract_by_title:
        err(f"paper {i}: duplicate title {t!r}")
    if not isinstance(p.get("abstract"), str) or not p["abstract"].strip():
        err(f"paper {i}: empty abstract")
    if not isinstance(p.get("authors"), list) or not all(isinstance(a, str) for a in p.get("authors", [])):
        err(f"paper {i}: authors must be a list of strings")
    if p.get("year") is not None and not (isinstance(p.get("year"), int) and not isinstance(p.get("year"), bool)):
        err(f"paper {i}: year must be int or null")
    for k in ("venue", "url", "doi"):
        if not isinstance(p.get(k), str):
            err(f"paper {i}: {k} must be a string")
    if isinstance(p.get("url"), str) and not p["url"].startswith("http"):
        err(f"paper {i}: url does not look like a URL")
    abstract_by_title[t] = p.get("abstract", "") or ""

# ---------------- questions ----------------
questions = load_jsonl(QUESTIONS)
if len(questions) != 50:
    err(f"questions.jsonl: expected 50 questions, found {len(questions)}")
expected_ids = [f"k{n:03d}" for n in range(1, 51)]
ids = [q.get("id") for q in questions if isinstance(q, dict)]
if ids != expected_ids:
    if sorted(i for i in ids if isinstance(i, str)) == expected_ids:
        err("question ids are k001..k050 but not in order")
    else:
        err("question ids are not exactly k001..k050")
type_counter = {}
qtype = {}
for q in questions:
    if not isinstance(q, dict):
        err("a question line is not an object")
        continue
    qid = q.get("id", "?")
    if set(q.keys()) != set(Q_KEYS):
        err(f"{qid}: keys {sorted(q.keys())} != {sorted(Q_KEYS)}")
        continue
    t = q["type"]
    qtype[qid] = t
    if t not in TYPE_COUNTS:
        err(f"{qid}: unknown type {t!r}")
    type_counter[t] = type_counter.get(t, 0) + 1
    if not isinstance(q["question"], str) or not q["question"].strip():
        err(f"{qid}: empty question")
    if not isinstance(q["notes"], str) or not q["notes"].strip():
        err(f"{qid}: empty notes")
    gold = q["gold_titles"]
    kps = q["keypoints"]
    hist = q["history"]
    if not isinstance(gold, list) or not isinstance(kps, list) or not isinstance(hist, list):
        err(f"{qid}: gold_titles, keypoints and history must be lists")
        continue
    # history only on follow_up
    if t == "follow_up":
        if not hist:
            err(f"{qid}: follow_up needs a non-empty history")
        for h in hist:
            if not (isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) and x.strip() for x in h)):
                err(f"{qid}: history items must be [question, answer] string pairs")
    elif hist:
        err(f"{qid}: history must be [] for type {t}")
    # gold titles
    for g in gold:
        if g not in abstract_by_title:
            err(f"{qid}: gold title not in papers.jsonl: {g!r}")
    if len(set(gold)) != len(gold):
        err(f"{qid}: duplicate gold titles")
    if t == "unanswerable":
        if gold:
            err(f"{qid}: unanswerable must have empty gold_titles")
        if kps:
            err(f"{qid}: unanswerable must have empty keypoints")
        continue
    if not gold:
        err(f"{qid}: answerable question has no gold titles")
    if t == "multi_paper" and len(gold) < 2:
        err(f"{qid}: multi_paper needs 2+ gold titles")
    if t == "comparison" and len(gold) != 2:
        err(f"{qid}: comparison needs exactly 2 gold titles")
    if t in ("single_fact", "which_paper", "summary", "follow_up") and len(gold) != 1:
        err(f"{qid}: {t} should have exactly 1 gold title")
    if not (1 <= len(kps) <= 3):
        err(f"{qid}: answerable needs 1-3 keypoint groups, found {len(kps)}")
    gold_text = " \n ".join(abstract_by_title.get(g, "") for g in gold).lower()
    for gi, group in enumerate(kps):
        if not (isinstance(group, list) and group and all(isinstance(a, str) and a.strip() for a in group)):
            err(f"{qid}: keypoint group {gi} must be a non-empty list of strings")
            continue
        if not any(a.lower() in gold_text for a in group):
            err(f"{qid}: keypoint group {gi} {group} has no alternative in a gold abstract")

for t, n in TYPE_COUNTS.items():
    if type_counter.get(t, 0) != n:
        err(f"type {t}: expected {n}, found {type_counter.get(t, 0)}")

# ---------------- qmeta ----------------
try:
    with open(QMETA, encoding="utf-8") as f:
        qmeta = json.load(f)
except (OSError, json.JSONDecodeError) as e:
    err(f"cannot read qmeta.json: {e}")
    qmeta = {}
if not isinstance(qmeta, dict):
    err("qmeta.json must be an object")
    qmeta = {}
if set(qmeta.keys()) != set(expected_ids):
    err("qmeta.json keys must be exactly k001..k050")
style_counts = {}
for qid in expected_ids:
    s = qmeta.get(qid)
    t = qtype.get(qid)
    if t is None:
        continue
    if t == "unanswerable":
        if s not in UNANSWERABLE_STYLES:
            err(f"{qid}: unanswerable style must be one of {sorted(UNANSWERABLE_STYLES)}, got {s!r}")
    else:
        if s not in ANSWERABLE_STYLES:
            err(f"{qid}: answerable style must be one of {sorted(ANSWERABLE_STYLES)}, got {s!r}")
    style_counts[s] = style_counts.get(s, 0) + 1
for s, n in list(ANSWERABLE_STYLES.items()) + list(UNANSWERABLE_STYLES.items()):
    if style_counts.get(s, 0) != n:
        err(f"style {s}: expected {n}, found {style_counts.get(s, 0)}")

# ---------------- paraphrase overlap ----------------
for q in questions:
    if not isinstance(q, dict) or qmeta.get(q.get("id")) != "paraphrased":
        continue
    qtri = trigrams(content_tokens(q.get("question", "")))
    for g in q.get("gold_titles", []):
        shared = qtri & trigrams(content_tokens(abstract_by_title.get(g, "")))
        if shared:
            err(
                f"{q['id']}: paraphrased question shares content-word run(s) with gold abstract "
                f"{g[:50]!r}: {sorted(' '.join(s) for s in shared)}"
            )

if errors:
    for e in errors:
        print("ERROR:", e)
    print(f"{len(errors)} error(s)")
    sys.exit(1)
print("OK")
sys.exit(0)
