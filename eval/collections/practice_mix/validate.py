#!/usr/bin/env python3
"""Validate papers.jsonl and questions.jsonl (standard library only). Prints OK on success."""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PAPER_KEYS = {"title", "abstract", "authors", "year", "venue", "doi", "url", "field"}
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
# heavily paraphrased answerable questions (checked for 3-gram overlap with gold abstracts)
PARA_IDS = [
    "y004",
    "y006",
    "y008",
    "y014",
    "y018",
    "y019",
    "y024",
    "y026",
    "y028",
    "y030",
    "y031",
    "y033",
    "y039",
    "y043",
    "y049",
]
# terse researcher-voice answerable questions
TERSE_IDS = [
    "y001",
    "y003",
    "y005",
    "y007",
    "y009",
    "y020",
    "y027",
    "y034",
    "y038",
    "y040",
    "y041",
    "y042",
    "y044",
    "y046",
    "y048",
]
STOPWORDS = set(
    """a about above after again against all am an and any are aren't as at be because been
before being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
don't down during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's her
here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself
let's me more most mustn't my myself no nor not of off on once only or other ought our ours ourselves out over
own same shan't she she'd she'll she's should shouldn't so some such than that that's the their theirs them
themselves then there there's these they they'd they'll they're they've this those through to too under until
up very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's which while who
who's whom why why's with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves
s t d ll re ve m also just get got per vs""".split()
)

errors = []


def err(msg):
    errors.append(msg)


def load(name):
    rows = []
    with open(os.path.join(HERE, name), encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except Exception as e:
                    err(f"{name}:{n}: bad json {e}")
    return rows


def content_tokens(text):
    return [t for t in re.findall(r"[a-z0-9]+", text.lower()) if t not in STOPWORDS]


def trigrams(toks):
    return {tuple(toks[i : i + 3]) for i in range(len(toks) - 2)}


papers = load("papers.jsonl")
questions = load("questions.jsonl")

# papers
if len(papers) != 48:
    err(f"expected 48 papers, got {len(papers)}")
titles = {}
fields = {}
for i, p in enumerate(papers):
    if set(p) != PAPER_KEYS:
        err(f"paper {i}: keys {sorted(p)}")
    for k in ("title", "abstract", "authors", "venue", "doi", "url", "field"):
        if not isinstance(p.get(k), str):
            err(f"paper {i}: {k} not str")
    if not (p.get("year") is None or isinstance(p.get("year"), int)):
        err(f"paper {i}: year type")
    if not p.get("title") or not p.get("abstract") or not p.get("url"):
        err(f"paper {i}: empty title/abstract/url")
    if "..." in p.get("abstract", "") or "…" in p.get("abstract", ""):
        err(f"paper {i}: ellipsis in abstract")
    if p.get("title") in titles:
        err(f"duplicate title: {p.get('title')}")
    titles[p.get("title")] = p.get("abstract", "")
    fields[p.get("field")] = fields.get(p.get("field"), 0) + 1
if len(fields) != 4 or any(v != 12 for v in fields.values()):
    err(f"field counts {fields}")

# questions
ids = [q.get("id") for q in questions]
if len(ids) != len(set(ids)):
    err("duplicate question ids")
if len(questions) != 50:
    err(f"expected 50 questions, got {len(questions)}")
counts = {}
byid = {}
for q in questions:
    qid = q.get("id")
    byid[qid] = q
    if set(q) != Q_KEYS:
        err(f"{qid}: keys {sorted(q)}")
    if not re.fullmatch(r"y\d{3}", str(qid)):
        err(f"{qid}: bad id")
    t = q.get("type")
    counts[t] = counts.get(t, 0) + 1
    if t not in TYPE_COUNTS:
        err(f"{qid}: bad type {t}")
    if not isinstance(q.get("question"), str) or not q["question"].strip():
        err(f"{qid}: empty question")
    hist = q.get("history")
    if not isinstance(hist, list):
        err(f"{qid}: history not list")
    elif t == "follow_up":
        if not (1 <= len(hist) <= 2) or any(
            not (isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) and x for x in h)) for h in hist
        ):
            err(f"{qid}: follow_up history must be 1-2 [question, answer] pairs")
    elif hist:
        err(f"{qid}: non-follow_up has history")
    gold = q.get("gold_titles")
    kps = q.get("keypoints")
    if not isinstance(gold, list) or not isinstance(kps, list):
        err(f"{qid}: gold/keypoints not lists")
        continue
    for g in gold:
        if g not in titles:
            err(f"{qid}: gold title not in papers: {g}")
    if t == "unanswerable":
        if gold or kps:
            err(f"{qid}: unanswerable must have empty gold_titles and keypoints")
        continue
    if not gold or not kps:
        err(f"{qid}: answerable needs gold_titles and keypoints")
    if t == "multi_paper" and not (2 <= len(gold) <= 3):
        err(f"{qid}: multi_paper needs 2-3 gold")
    if t == "comparison" and len(gold) != 2:
        err(f"{qid}: comparison needs 2 gold")
    if t in ("single_fact", "which_paper", "summary", "follow_up") and len(gold) != 1:
        err(f"{qid}: {t} needs 1 gold")
    gold_abs = [titles[g].lower() for g in gold if g in titles]
    for gi, group in enumerate(kps):
        if not isinstance(group, list) or not group or not all(isinstance(s, str) and s for s in group):
            err(f"{qid}: keypoint group {gi} malformed")
            continue
        if not any(s.lower() in a for s in group for a in gold_abs):
            err(f"{qid}: keypoint group {gi} {group} not found in gold abstracts")
for t, n in TYPE_COUNTS.items():
    if counts.get(t, 0) != n:
        err(f"type {t}: expected {n}, got {counts.get(t, 0)}")

# paraphrase / terse lists
if len(PARA_IDS) != 15 or len(TERSE_IDS) != 15 or set(PARA_IDS) & set(TERSE_IDS):
    err("para/terse id lists wrong size or overlapping")
for qid in PARA_IDS + TERSE_IDS:
    if qid not in byid or byid[qid]["type"] == "unanswerable":
        err(f"{qid}: para/terse id missing or unanswerable")
answerable = {q["id"] for q in questions if q.get("type") != "unanswerable"}
if answerable != set(PARA_IDS) | set(TERSE_IDS):
    err("para+terse ids must cover exactly the answerable questions")
for qid in PARA_IDS:
    q = byid.get(qid)
    if not q:
        continue
    qtri = trigrams(content_tokens(q["question"]))
    for g in q["gold_titles"]:
        shared = qtri & trigrams(content_tokens(titles.get(g, "")))
        if shared:
            err(f"{qid}: shares content trigram(s) with gold abstract: {sorted(shared)}")

if errors:
    print("\n".join(errors))
    print(f"FAILED ({len(errors)} problems)")
    sys.exit(1)
print("OK")
