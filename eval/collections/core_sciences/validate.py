#!/usr/bin/env python3
"""Validate papers.jsonl / questions.jsonl / qmeta.json of this evaluation set.

Standard library only. Prints OK on success, otherwise lists problems and exits 1.
"""

import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))

# Questions written as heavy paraphrases: they must share no run of 3
# consecutive content words (lowercased, stopwords removed) with any gold abstract.
PARA_IDS = []  # filled below from qmeta.json + explicit list
PARA_IDS_EXPLICIT = [
    "z001",
    "z002",
    "z005",
    "z006",
    "z013",
    "z014",
    "z018",
    "z022",
    "z027",
    "z033",
    "z037",
    "z038",
    "z040",
    "z044",
    "z045",
    "z047",
    "z049",
]

PAPER_KEYS = {"title", "abstract", "authors", "year", "venue", "doi", "url", "field"}
FIELDS = {"medicine", "climate", "materials_physics", "economics"}
Q_KEYS = {"id", "type", "question", "history", "gold_titles", "keypoints", "notes"}
TYPE_COUNTS = {
    "single_fact": 10,
    "which_paper": 5,
    "multi_paper": 4,
    "summary": 4,
    "comparison": 3,
    "follow_up": 4,
    "unanswerable": 20,
}
SUBTYPES = {"near_miss", "general_knowledge", "absent_topic", "paraphrased", "terse", "plain"}
UNANS_SUB = {"near_miss": 9, "general_knowledge": 6, "absent_topic": 5}

STOPWORDS = set(
    """
a about above after again against all am an and any are aren't as at be because been
before being below between both but by can can't cannot could couldn't did didn't do does
doesn't doing don't down during each few for from further had hadn't has hasn't have haven't
having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll
i'm i've if in into is isn't it it's its itself let's me more most mustn't my myself no nor
not of off on once only or other ought our ours ourselves out over own same shan't she she'd
she'll she's should shouldn't so some such than that that's the their theirs them themselves
then there there's these they they'd they'll they're they've this those through to too under
until up very was wasn't we we'd we'll we're we've were weren't what what's when when's where
where's which while who who's whom why why's with won't would wouldn't you you'd you'll you're
you've your yours yourself yourselves s t d ll m o re ve y also per via vs versus within
among upon whether whose will may might must shall just than whatever however etc
""".split()
)

problems = []


def err(msg):
    problems.append(msg)


def norm(s):
    return re.sub(r"\s+", " ", s).strip().lower()


def content_words(s):
    toks = re.findall(r"[a-z0-9]+", s.lower())
    return [t for t in toks if t not in STOPWORDS]


def trigrams(words):
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def load_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                err(f"{os.path.basename(path)} line {n}: blank line")
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                err(f"{os.path.basename(path)} line {n}: bad JSON ({e})")
    return rows


papers = load_jsonl(os.path.join(HERE, "papers.jsonl"))
questions = load_jsonl(os.path.join(HERE, "questions.jsonl"))

# ---- papers
if len(papers) != 48:
    err(f"expected 48 papers, found {len(papers)}")
for i, p in enumerate(papers):
    if set(p) != PAPER_KEYS:
        err(f"paper {i}: keys {sorted(p)} != {sorted(PAPER_KEYS)}")
        continue
    if p["field"] not in FIELDS:
        err(f"paper {i}: bad field {p['field']}")
    if not (p["year"] is None or isinstance(p["year"], int)):
        err(f"paper {i}: year must be int or null")
    for k in ("title", "abstract", "authors", "venue", "doi", "url"):
        if not isinstance(p[k], str):
            err(f"paper {i}: {k} must be a string")
    if not p["title"].strip() or not p["abstract"].strip() or not p["url"].startswith("http"):
        err(f"paper {i}: empty title/abstract or bad url")
fc = Counter(p.get("field") for p in papers)
for f in FIELDS:
    if fc[f] != 12:
        err(f"field {f}: {fc[f]} papers, expected 12")
titles = [p.get("title") for p in papers]
dups = [t for t, c in Counter(titles).items() if c > 1]
if dups:
    err(f"duplicate titles: {dups}")
abstract_of = {p["title"]: p["abstract"] for p in papers if "title" in p}

# ---- questions
if len(questions) != 50:
    err(f"expected 50 questions, found {len(questions)}")
ids = [q.get("id") for q in questions]
if sorted(ids) != [f"z{n:03d}" for n in range(1, 51)]:
    err("ids must be exactly z001..z050")
tc = Counter(q.get("type") for q in questions)
for t, n in TYPE_COUNTS.items():
    if tc[t] != n:
        err(f"type {t}: {tc[t]} questions, expected {n}")
if set(tc) - set(TYPE_COUNTS):
    err(f"unknown types: {set(tc) - set(TYPE_COUNTS)}")

try:
    qmeta = json.load(open(os.path.join(HERE, "qmeta.json"), encoding="utf-8"))
except Exception as e:  # noqa: BLE001
    qmeta = {}
    err(f"qmeta.json unreadable: {e}")

PARA_IDS = sorted(set(PARA_IDS_EXPLICIT) | {i for i, s in qmeta.items() if s == "paraphrased"})

word_mentions = 0
for q in questions:
    qid = q.get("id", "?")
    if set(q) != Q_KEYS:
        err(f"{qid}: keys {sorted(q)} != {sorted(Q_KEYS)}")
        continue
    if not isinstance(q["question"], str) or not q["question"].strip():
        err(f"{qid}: empty question")
    if re.search(r"\b(abstract|abstracts|collection)\b", q["question"], re.I):
        word_mentions += 1
    # history
    if not isinstance(q["history"], list):
        err(f"{qid}: history must be a list")
    elif q["type"] == "follow_up":
        if len(q["history"]) != 1 or not all(
            isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) and x.strip() for x in h)
            for h in q["history"]
        ):
            err(f"{qid}: follow_up needs exactly one [question, answer] pair")
    elif q["history"]:
        err(f"{qid}: history must be [] for non-follow_up")
    # gold / keypoints
    gold = q["gold_titles"]
    kps = q["keypoints"]
    if q["type"] == "unanswerable":
        if gold or kps:
            err(f"{qid}: unanswerable must have empty gold_titles and keypoints")
        if qmeta.get(qid) not in UNANS_SUB:
            err(f"{qid}: unanswerable needs qmeta sub-type in {sorted(UNANS_SUB)}")
        continue
    if not gold:
        err(f"{qid}: answerable question without gold_titles")
    for t in gold:
        if t not in abstract_of:
            err(f"{qid}: gold title not in papers: {t!r}")
    if q["type"] in ("which_paper", "summary", "single_fact", "follow_up") and len(gold) != 1:
        err(f"{qid}: {q['type']} should have exactly one gold title")
    if q["type"] == "comparison" and len(gold) != 2:
        err(f"{qid}: comparison needs two gold titles")
    if q["type"] == "multi_paper" and not 2 <= len(gold) <= 4:
        err(f"{qid}: multi_paper needs 2-4 gold titles")
    if not kps or not all(isinstance(k, list) and k and all(isinstance(s, str) and s.strip() for s in k) for k in kps):
        err(f"{qid}: keypoints must be a non-empty list of non-empty lists of strings")
        continue
    gold_abs = [norm(abstract_of[t]) for t in gold if t in abstract_of]
    for alts in kps:
        for s in alts:
            if not any(norm(s) in a for a in gold_abs):
                err(f"{qid}: keypoint {s!r} not found in any gold abstract")
    if qmeta.get(qid) not in {"paraphrased", "terse", "plain"}:
        err(f"{qid}: answerable question needs qmeta sub-type paraphrased/terse/plain")

if word_mentions > 6:
    err(f"'abstract'/'collection' used in {word_mentions} questions (max 6)")

# ---- qmeta
if set(qmeta) != set(ids):
    err("qmeta.json ids differ from questions ids")
for k, v in qmeta.items():
    if v not in SUBTYPES:
        err(f"qmeta {k}: bad sub-type {v}")
sc = Counter(qmeta.values())
for s, n in UNANS_SUB.items():
    if sc[s] != n:
        err(f"qmeta: {sc[s]} {s}, expected {n}")

# ---- paraphrase check
qby = {q.get("id"): q for q in questions}
answerable = {q["id"] for q in questions if q.get("type") != "unanswerable"}
para_ok = 0
for qid in PARA_IDS:
    q = qby.get(qid)
    if q is None or qid not in answerable:
        err(f"PARA_IDS {qid}: not an answerable question")
        continue
    qt = trigrams(content_words(q["question"]))
    for t in q["gold_titles"]:
        shared = qt & trigrams(content_words(abstract_of.get(t, "")))
        if shared:
            err(f"{qid}: shares content trigram(s) {sorted(shared)} with gold abstract {t!r}")
            break
    else:
        para_ok += 1
if len(PARA_IDS) < 15:
    err(f"only {len(PARA_IDS)} paraphrased questions (need >= 15)")

# ---- terse count (answerable, under 12 words)
terse = [q["id"] for q in questions if q["id"] in answerable and len(q["question"].split()) < 12]
if len(terse) < 8:
    err(f"only {len(terse)} terse answerable questions (need >= 8)")
for qid, s in qmeta.items():
    if s == "terse" and len(qby[qid]["question"].split()) >= 12:
        err(f"{qid}: marked terse but has >= 12 words")

if problems:
    for p in problems:
        print("PROBLEM:", p)
    sys.exit(1)
print(f"papers={len(papers)} questions={len(questions)} paraphrased={len(PARA_IDS)} terse={len(terse)}")
print("OK")
