#!/usr/bin/env python3
"""Standalone validator for the evaluation collection (standard library only).
Run from this folder:  python validate.py   (exit code 0 = pass)."""

import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
errors = []


def err(msg):
    errors.append(msg)


STOP = set(
    """a about above after again against all also am an and any are aren't as at be because been before being below
between both but by can cannot could did do does doing down during each either etc even ever every few for
from further had has have having he her here hers herself him himself his how however i if in into is isn't it
its itself just let me more most much my myself no nor not now of off on once only or other others ought our
ours ourselves out over own per same she should so some such than that the their theirs them themselves then
there these they this those through thus to too under until up upon us very via vs was we were what when where
whether which while who whom whose why will with within without would yet you your yours yourself yourselves
one two s t i.e e.g""".split()
)


def content_tokens(text):
    toks = re.findall(r"[a-z0-9]+", text.lower())
    return [t for t in toks if t not in STOP]


def ngrams(toks, n=3):
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def load_jsonl(name):
    rows = []
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except Exception as e:
                err(f"{name}:{ln}: invalid JSON ({e})")
    return rows


# ---------------- papers ----------------
papers = load_jsonl("papers.jsonl")
if len(papers) != 48:
    err(f"expected 48 papers, found {len(papers)}")
PFIELDS = {"title": str, "abstract": str, "authors": list, "year": (int, type(None)), "venue": str, "doi": str}
for i, p in enumerate(papers, 1):
    for k, t in PFIELDS.items():
        if k not in p:
            err(f"paper {i}: missing field '{k}'")
        elif not isinstance(p[k], t) or (k == "year" and isinstance(p[k], bool)):
            err(f"paper {i}: field '{k}' has wrong type")
    if isinstance(p.get("title"), str) and not p["title"].strip():
        err(f"paper {i}: empty title")
    if isinstance(p.get("abstract"), str) and len(p["abstract"].split()) < 75:
        err(f"paper {i}: abstract too short ({len(p['abstract'].split())} words)")
titles = [p.get("title") for p in papers]
dups = [t for t, c in Counter(titles).items() if c > 1]
if dups:
    err(f"duplicate titles: {dups}")
abstract_of = {p.get("title"): p.get("abstract", "") for p in papers}

# ---------------- questions ----------------
qs = load_jsonl("questions.jsonl")
if len(qs) != 50:
    err(f"expected 50 questions, found {len(qs)}")
ids = [q.get("id") for q in qs]
if sorted(ids) != [f"u{i:03d}" for i in range(1, 51)]:
    err("ids are not exactly u001..u050 (unique)")
EXPECTED = {
    "single_fact": 10,
    "which_paper": 5,
    "multi_paper": 4,
    "summary": 4,
    "follow_up": 4,
    "comparison": 3,
    "unanswerable": 20,
}
tc = Counter(q.get("type") for q in qs)
if dict(tc) != EXPECTED:
    err(f"type counts {dict(tc)} != {EXPECTED}")
QFIELDS = {
    "id": str,
    "type": str,
    "question": str,
    "history": list,
    "gold_titles": list,
    "keypoints": list,
    "notes": str,
}
for q in qs:
    qid = q.get("id")
    for k, t in QFIELDS.items():
        if k not in q or not isinstance(q[k], t):
            err(f"{qid}: missing/invalid field '{k}'")
    if not isinstance(q.get("question"), str) or not q.get("question", "").strip():
        err(f"{qid}: empty question")
    if not str(q.get("notes", "")).strip():
        err(f"{qid}: empty notes")
    gold = q.get("gold_titles", []) or []
    kps = q.get("keypoints", []) or []
    for g in gold:
        if g not in abstract_of:
            err(f"{qid}: gold title not in papers.jsonl: {g!r}")
    if q.get("type") == "unanswerable":
        if gold or kps:
            err(f"{qid}: unanswerable must have empty gold_titles and keypoints")
        if q.get("history"):
            err(f"{qid}: unanswerable should have empty history")
        continue
    if not gold:
        err(f"{qid}: answerable question without gold titles")
    if not (1 <= len(kps) <= 3):
        err(f"{qid}: needs 1-3 keypoints, has {len(kps)}")
    gold_text = " ".join(abstract_of.get(g, "") for g in gold).lower()
    for kp in kps:
        if not isinstance(kp, list) or not kp or not all(isinstance(a, str) and a for a in kp):
            err(f"{qid}: keypoint must be a non-empty list of strings: {kp!r}")
            continue
        if not any(a.lower() in gold_text for a in kp):
            err(f"{qid}: no alternative of keypoint {kp!r} occurs in a gold abstract")
    t = q.get("type")
    if t == "follow_up":
        h = q.get("history")
        if not h or not all(
            isinstance(x, list) and len(x) == 2 and all(isinstance(s, str) and s for s in x) for x in h
        ):
            err(f"{qid}: follow_up needs non-empty history of [question, answer] pairs")
        if len(gold) != 1:
            err(f"{qid}: follow_up should have exactly one gold paper")
    elif q.get("history"):
        err(f"{qid}: only follow_up questions may have history")
    if t == "comparison" and len(gold) != 2:
        err(f"{qid}: comparison needs exactly two gold papers")
    if t == "multi_paper" and len(gold) < 2:
        err(f"{qid}: multi_paper needs at least two gold papers")
    if t in ("single_fact", "which_paper", "summary") and len(gold) != 1:
        err(f"{qid}: {t} should have exactly one gold paper")

# ---------------- qmeta ----------------
with open(os.path.join(HERE, "qmeta.json"), encoding="utf-8") as f:
    meta = json.load(f)
if set(meta) != set(ids):
    err("qmeta.json keys do not match question ids")
ANS_SUB = {"paraphrased", "terse", "plain"}
UNA_SUB = {"near_miss": 9, "general_knowledge": 6, "absent_topic": 5}
qtype = {q.get("id"): q.get("type") for q in qs}
for qid, sub in meta.items():
    if qtype.get(qid) == "unanswerable":
        if sub not in UNA_SUB:
            err(f"{qid}: unanswerable has sub-type {sub!r}")
    elif sub not in ANS_SUB:
        err(f"{qid}: answerable has sub-type {sub!r}")
sc = Counter(meta.values())
for k, v in UNA_SUB.items():
    if sc.get(k, 0) != v:
        err(f"sub-type {k}: expected {v}, found {sc.get(k, 0)}")

# ---------------- paraphrase check ----------------
for q in qs:
    if meta.get(q.get("id")) != "paraphrased":
        continue
    qg = ngrams(content_tokens(q.get("question", "")))
    for g in q.get("gold_titles", []):
        shared = qg & ngrams(content_tokens(abstract_of.get(g, "")))
        if shared:
            err(f"{q['id']}: paraphrased question shares 3-word content run(s) with '{g[:50]}...': {sorted(shared)}")

# ---------------- report ----------------
print(f"papers: {len(papers)} (unique titles: {len(set(titles))})")
print(f"questions: {len(qs)}  types: {dict(sorted(tc.items()))}")
print(f"sub-types: {dict(sorted(sc.items()))}")
if errors:
    print(f"\nFAIL: {len(errors)} problem(s)")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("\nPASS: all checks succeeded")
