#!/usr/bin/env python3
"""Checker for the fresh_coll20 evaluation collection (standard library only).

Run from this folder:  python validate.py
Exit code 0 when every check passes, 1 otherwise (messages on stdout).
"""
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))

EXPECTED_TYPES = {
    "single_fact": 10,
    "which_paper": 5,
    "multi_paper": 4,
    "summary": 4,
    "follow_up": 4,
    "comparison": 3,
    "unanswerable": 20,
}
UNANSWERABLE_SUBTYPES = {"near_miss": 9, "general_knowledge": 6, "absent_topic": 5}
ANSWERABLE_SUBTYPES = {"paraphrased": 15, "terse": 10, "plain": 5}
REQUIRED_Q_KEYS = ["id", "type", "question", "history", "gold_titles", "keypoints", "notes"]
REQUIRED_P_KEYS = ["title", "abstract", "authors", "year", "venue", "doi"]

STOP_WORDS = set("""
a about above after again against all also am an and any are aren't as at be because been
before being below between both but by can can't cannot could couldn't did didn't do does
doesn't doing don't down during each either else etc few for from further had hadn't has
hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his
how how's however i i'd i'll i'm i've ie if in into is isn't it it's its itself just let's
may me might more most must mustn't my myself no nor not of off often on once only or other
ought our ours ourselves out over own per same shall shan't she she'd she'll she's should
shouldn't so some such than that that's the their theirs them themselves then there there's
these they they'd they'll they're they've this those through thus to too under until up upon
us very via was wasn't we we'd we'll we're we've were weren't what what's when when's where
where's whether which while who who's whom whose why why's will with won't would wouldn't
yet you you'd you'll you're you've your yours yourself yourselves
""".split())

errors = []


def err(msg):
    errors.append(msg)


def load_jsonl(name):
    path = os.path.join(HERE, name)
    rows = []
    if not os.path.exists(path):
        err(f"{name}: file missing")
        return rows
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                err(f"{name}:{n}: invalid JSON ({exc})")
    return rows


def content_tokens(text):
    toks = re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())
    return [t for t in toks if t not in STOP_WORDS]


def ngrams(tokens, n=3):
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


# ---------------------------------------------------------------- papers
papers = load_jsonl("papers.jsonl")
if len(papers) != 48:
    err(f"papers.jsonl: expected 48 papers, found {len(papers)}")
abstracts = {}
for i, p in enumerate(papers, 1):
    for k in REQUIRED_P_KEYS:
        if k not in p:
            err(f"papers.jsonl line {i}: missing key '{k}'")
    title = p.get("title", "")
    abstract = p.get("abstract", "")
    if not isinstance(title, str) or not title.strip():
        err(f"papers.jsonl line {i}: empty title")
        continue
    if title in abstracts:
        err(f"papers.jsonl: duplicate title '{title}'")
    if not isinstance(abstract, str) or len(abstract) < 400:
        err(f"papers.jsonl: abstract of '{title}' shorter than 400 characters")
    if not isinstance(p.get("authors", []), list):
        err(f"papers.jsonl: authors of '{title}' is not a list")
    if p.get("year") is not None and not isinstance(p.get("year"), int):
        err(f"papers.jsonl: year of '{title}' is neither int nor null")
    for k in ("venue", "doi"):
        if not isinstance(p.get(k, ""), str):
            err(f"papers.jsonl: {k} of '{title}' is not a string")
    abstracts[title] = abstract
if len(abstracts) != 48:
    err(f"papers.jsonl: expected 48 unique titles, found {len(abstracts)}")

# ---------------------------------------------------------------- questions
questions = load_jsonl("questions.jsonl")
if len(questions) != 50:
    err(f"questions.jsonl: expected 50 questions, found {len(questions)}")
ids = [q.get("id") for q in questions]
if len(set(ids)) != len(ids):
    dup = [k for k, v in Counter(ids).items() if v > 1]
    err(f"questions.jsonl: duplicate ids {dup}")
expected_ids = {f"b{n:03d}" for n in range(1, 51)}
if set(ids) != expected_ids:
    err(f"questions.jsonl: ids must be b001..b050 (missing {sorted(expected_ids - set(ids))}, "
        f"extra {sorted(set(ids) - expected_ids)})")

type_counts = Counter(q.get("type") for q in questions)
for t, n in EXPECTED_TYPES.items():
    if type_counts.get(t, 0) != n:
        err(f"type '{t}': expected {n}, found {type_counts.get(t, 0)}")
for t in type_counts:
    if t not in EXPECTED_TYPES:
        err(f"unknown type '{t}'")

# types must not be grouped: the file order should not be sorted by type
order = [q.get("type") for q in questions]
runs = sum(1 for i in range(1, len(order)) if order[i] != order[i - 1]) + 1
if runs < 20:
    err(f"questions appear grouped by type ({runs} runs of equal type)")

by_id = {}
for q in questions:
    qid = q.get("id", "?")
    by_id[qid] = q
    for k in REQUIRED_Q_KEYS:
        if k not in q:
            err(f"{qid}: missing key '{k}'")
    qtype = q.get("type")
    gold = q.get("gold_titles", [])
    kps = q.get("keypoints", [])
    hist = q.get("history", [])
    if not isinstance(q.get("question"), str) or not q.get("question", "").strip():
        err(f"{qid}: empty question text")
    if not isinstance(q.get("notes"), str) or not q.get("notes", "").strip():
        err(f"{qid}: empty notes")
    if not isinstance(hist, list) or any(
            not (isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h))
            for h in hist):
        err(f"{qid}: history must be a list of [user_question, assistant_answer] pairs")
    if qtype == "follow_up":
        if not hist:
            err(f"{qid}: follow_up question needs a non-empty history")
    elif hist:
        err(f"{qid}: only follow_up questions may carry history")

    if qtype == "unanswerable":
        if gold:
            err(f"{qid}: unanswerable question has gold titles")
        if kps:
            err(f"{qid}: unanswerable question has keypoints")
        continue

    # answerable
    if not gold:
        err(f"{qid}: answerable question without gold titles")
    for t in gold:
        if t not in abstracts:
            err(f"{qid}: gold title not in papers.jsonl: '{t}'")
    if len(set(gold)) != len(gold):
        err(f"{qid}: repeated gold title")
    if qtype == "multi_paper" and not 2 <= len(gold) <= 3:
        err(f"{qid}: multi_paper needs 2-3 gold papers, has {len(gold)}")
    if qtype == "comparison" and len(gold) != 2:
        err(f"{qid}: comparison needs exactly 2 gold papers, has {len(gold)}")
    if qtype in ("single_fact", "which_paper", "summary", "follow_up") and len(gold) != 1:
        err(f"{qid}: {qtype} expected one gold paper, has {len(gold)}")
    if not isinstance(kps, list) or not 1 <= len(kps) <= 3:
        err(f"{qid}: needs 1-3 keypoints, has {len(kps) if isinstance(kps, list) else kps!r}")
        continue
    gold_abs = [abstracts[t].lower() for t in gold if t in abstracts]
    for j, alts in enumerate(kps):
        if not isinstance(alts, list) or not alts:
            err(f"{qid}: keypoint {j} must be a non-empty list of strings")
            continue
        for s in alts:
            if not isinstance(s, str) or not s.strip():
                err(f"{qid}: keypoint {j} contains an empty/non-string entry")
            elif not any(s.lower() in a for a in gold_abs):
                err(f"{qid}: keypoint string not verbatim in any gold abstract: '{s}'")

# ---------------------------------------------------------------- qmeta
meta_path = os.path.join(HERE, "qmeta.json")
meta = {}
if not os.path.exists(meta_path):
    err("qmeta.json: file missing")
else:
    try:
        with open(meta_path, encoding="utf-8") as fh:
            meta = json.load(fh)
    except json.JSONDecodeError as exc:
        err(f"qmeta.json: invalid JSON ({exc})")
if not isinstance(meta, dict):
    err("qmeta.json: must be a JSON object")
    meta = {}
for qid in ids:
    if qid not in meta:
        err(f"qmeta.json: missing id {qid}")
for qid in meta:
    if qid not in by_id:
        err(f"qmeta.json: unknown id {qid}")
un_counts, an_counts = Counter(), Counter()
for qid, sub in meta.items():
    q = by_id.get(qid)
    if q is None:
        continue
    if q.get("type") == "unanswerable":
        if sub not in UNANSWERABLE_SUBTYPES:
            err(f"qmeta.json: {qid} is unanswerable but has sub-type '{sub}'")
        un_counts[sub] += 1
    else:
        if sub not in ANSWERABLE_SUBTYPES:
            err(f"qmeta.json: {qid} is answerable but has sub-type '{sub}'")
        an_counts[sub] += 1
for sub, n in UNANSWERABLE_SUBTYPES.items():
    if un_counts.get(sub, 0) != n:
        err(f"qmeta.json: expected {n} '{sub}', found {un_counts.get(sub, 0)}")
for sub, n in ANSWERABLE_SUBTYPES.items():
    if an_counts.get(sub, 0) != n:
        err(f"qmeta.json: expected {n} '{sub}', found {an_counts.get(sub, 0)}")

# absent_topic: at least two "Which paper ..." questions
which_absent = [qid for qid, s in meta.items() if s == "absent_topic" and qid in by_id
                and by_id[qid].get("question", "").lower().startswith("which paper")]
if len(which_absent) < 2:
    err(f"absent_topic: need at least 2 'Which paper ...' questions, found {len(which_absent)}")

# paraphrased: no shared run of 3+ consecutive content words with gold abstracts
for qid, sub in meta.items():
    if sub != "paraphrased" or qid not in by_id:
        continue
    q = by_id[qid]
    qgrams = ngrams(content_tokens(q.get("question", "")))
    for t in q.get("gold_titles", []):
        if t not in abstracts:
            continue
        shared = qgrams & ngrams(content_tokens(abstracts[t]))
        if shared:
            err(f"{qid}: paraphrased question shares content-word run(s) with '{t[:50]}...': "
                + "; ".join(" ".join(g) for g in sorted(shared)))

# ---------------------------------------------------------------- report
if errors:
    print(f"FAILED: {len(errors)} problem(s)")
    for e in errors:
        print(" -", e)
    sys.exit(1)

print("OK: all checks passed")
print(f"  papers: {len(papers)} (unique titles {len(abstracts)}, min abstract "
      f"{min(len(a) for a in abstracts.values())} chars)")
print("  question types: " + ", ".join(f"{t}={type_counts[t]}" for t in EXPECTED_TYPES))
print("  unanswerable sub-types: " + ", ".join(f"{s}={un_counts[s]}" for s in UNANSWERABLE_SUBTYPES))
print("  answerable sub-types: " + ", ".join(f"{s}={an_counts[s]}" for s in ANSWERABLE_SUBTYPES))
print(f"  absent_topic 'Which paper' questions: {len(which_absent)}")
sys.exit(0)
