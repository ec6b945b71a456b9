#!/usr/bin/env python3
"""Validate papers.jsonl and questions.jsonl of the fresh evaluation collection.
Standard library only. Prints OK on success, otherwise lists problems and exits 1."""
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
PAPER_KEYS = {"title", "abstract", "authors", "year", "venue", "doi", "url", "field"}
Q_KEYS = {"id", "type", "question", "history", "gold_titles", "keypoints", "notes"}
TYPE_COUNTS = {"single_fact": 12, "which_paper": 6, "multi_paper": 5, "summary": 4,
               "comparison": 4, "follow_up": 5, "unanswerable": 24}
PAPERS_PER_FIELD = 15
N_FIELDS = 4
# questions written in heavily paraphrased everyday wording (must share no run of
# 3 consecutive content words with any of their gold abstracts)
PARAPHRASED_IDS = ["x005", "x007", "x013", "x016", "x017", "x022", "x023", "x027", "x029",
                   "x031", "x032", "x037", "x038", "x046", "x051", "x053", "x054", "x058"]

STOPWORDS = set("""a about above after again against all am an and any are aren as at be because been
before being below between both but by can cannot could couldn did didn do does doesn doing don down
during each few for from further had hadn has hasn have haven having he her here hers herself him
himself his how i if in into is isn it its itself just let me more most mustn my myself no nor not of
off on once only or other ought our ours ourselves out over own same shan she should shouldn so some
such than that the their theirs them themselves then there these they this those through to too under
until up very was wasn we were weren what when where which while who whom why will with won would
wouldn you your yours yourself yourselves also any much many s t ll ve re d m o y via per""".split())
# note: 'per' is treated as a stopword; numbers and all other words count as content words

errors = []
def err(msg):
    errors.append(msg)

def tokens(text):
    toks = re.findall(r"[a-z0-9]+", text.lower())
    return [t for t in toks if t not in STOPWORDS and not (len(t) == 1 and t.isalpha())]

def trigrams(toks):
    return {tuple(toks[i:i + 3]) for i in range(len(toks) - 2)}

def load(path, keys, label):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                err(f"{label} line {n}: blank line")
                continue
            try:
                obj = json.loads(line)
            except Exception as e:
                err(f"{label} line {n}: JSON error {e}")
                continue
            if not isinstance(obj, dict) or set(obj) != keys:
                err(f"{label} line {n}: keys {sorted(obj) if isinstance(obj, dict) else type(obj)} != {sorted(keys)}")
                continue
            rows.append(obj)
    return rows

papers = load(os.path.join(HERE, "papers.jsonl"), PAPER_KEYS, "papers")
questions = load(os.path.join(HERE, "questions.jsonl"), Q_KEYS, "questions")

# ---- papers ----
for p in papers:
    for k in ("title", "abstract", "authors", "venue", "doi", "url", "field"):
        if not isinstance(p[k], str):
            err(f"paper {p.get('title')!r}: {k} not a string")
    if not (p["year"] is None or (isinstance(p["year"], int) and not isinstance(p["year"], bool))):
        err(f"paper {p['title']!r}: year must be int or null")
    if not p["title"].strip() or not p["abstract"].strip() or not p["url"].startswith("http"):
        err(f"paper {p['title']!r}: empty title/abstract or bad url")
    if "..." in p["abstract"] or "…" in p["abstract"]:
        err(f"paper {p['title']!r}: abstract contains an ellipsis (possible truncation)")
titles = [p["title"] for p in papers]
dups = [t for t, c in Counter(titles).items() if c > 1]
if dups:
    err(f"duplicate titles: {dups}")
fields = Counter(p["field"] for p in papers)
if len(fields) != N_FIELDS or any(c != PAPERS_PER_FIELD for c in fields.values()):
    err(f"field counts {dict(fields)} (want {N_FIELDS} fields x {PAPERS_PER_FIELD})")
by_title = {p["title"]: p for p in papers}

# ---- questions ----
ids = [q["id"] for q in questions]
if len(set(ids)) != len(ids):
    err(f"duplicate ids: {[i for i, c in Counter(ids).items() if c > 1]}")
for i in ids:
    if not re.fullmatch(r"x\d{3}", i):
        err(f"bad id format {i!r}")
tc = Counter(q["type"] for q in questions)
if dict(tc) != TYPE_COUNTS:
    err(f"type counts {dict(tc)} != {TYPE_COUNTS}")

for q in questions:
    qid, typ = q["id"], q["type"]
    if typ not in TYPE_COUNTS:
        err(f"{qid}: unknown type {typ}")
    if not isinstance(q["question"], str) or not q["question"].strip():
        err(f"{qid}: empty question")
    if not isinstance(q["notes"], str) or not q["notes"].strip():
        err(f"{qid}: empty notes")
    # history
    h = q["history"]
    if not isinstance(h, list) or any(not (isinstance(t, list) and len(t) == 2
                                           and all(isinstance(s, str) and s.strip() for s in t)) for t in h):
        err(f"{qid}: history must be a list of [question, answer] string pairs")
    if typ == "follow_up":
        if not 1 <= len(h) <= 2:
            err(f"{qid}: follow_up needs 1-2 history turns")
    elif h:
        err(f"{qid}: history must be empty for type {typ}")
    # gold titles
    g = q["gold_titles"]
    if not isinstance(g, list) or any(not isinstance(t, str) for t in g):
        err(f"{qid}: gold_titles must be a list of strings")
        continue
    for t in g:
        if t not in by_title:
            err(f"{qid}: gold title not in papers.jsonl: {t!r}")
    if len(set(g)) != len(g):
        err(f"{qid}: repeated gold title")
    kp = q["keypoints"]
    if not isinstance(kp, list) or any(not (isinstance(a, list) and a
                                            and all(isinstance(s, str) and s.strip() for s in a)) for a in kp):
        err(f"{qid}: keypoints must be a list of non-empty lists of strings")
        continue
    if typ == "unanswerable":
        if g or kp:
            err(f"{qid}: unanswerable must have empty gold_titles and keypoints")
        continue
    expected = {"multi_paper": (2, 3), "comparison": (2, 2)}.get(typ, (1, 1))
    if not expected[0] <= len(g) <= expected[1]:
        err(f"{qid}: {typ} has {len(g)} gold titles (want {expected[0]}-{expected[1]})")
    if not kp:
        err(f"{qid}: answerable question without keypoints")
    gold_abs = [by_title[t]["abstract"].lower() for t in g if t in by_title]
    for alts in kp:
        if not any(a.lower() in ab for a in alts for ab in gold_abs):
            err(f"{qid}: keypoint {alts} not found (case-insensitive) in any gold abstract")
    if typ == "follow_up":
        # the gold paper for a follow-up must be answerable from its abstract; history is free text
        pass

# paraphrase check
qby = {q["id"]: q for q in questions}
for pid in PARAPHRASED_IDS:
    q = qby.get(pid)
    if q is None:
        err(f"paraphrased id {pid} not found")
        continue
    if q["type"] == "unanswerable":
        err(f"paraphrased id {pid} is unanswerable")
        continue
    qt = trigrams(tokens(q["question"]))
    for t in q["gold_titles"]:
        shared = qt & trigrams(tokens(by_title[t]["abstract"]))
        if shared:
            err(f"{pid}: shares content-word run(s) {sorted(shared)} with gold abstract {t[:60]!r}")
n_answerable = sum(1 for q in questions if q["type"] != "unanswerable")
if len(PARAPHRASED_IDS) * 2 != n_answerable:
    err(f"paraphrased ids ({len(PARAPHRASED_IDS)}) should be half of the {n_answerable} answerable questions")

if errors:
    print("FAILED:")
    for e in errors:
        print(" -", e)
    sys.exit(1)
print("OK")
