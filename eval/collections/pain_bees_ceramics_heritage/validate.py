#!/usr/bin/env python3
"""Validate the evaluation collection in this folder (standard library only).

Checks papers.jsonl, questions.jsonl and qmeta.json; prints OK or the list
of errors (exit code 1).
"""

import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))

PAPER_KEYS = {"title", "abstract", "authors", "year", "venue", "doi"}
QUESTION_KEYS = {"id", "type", "question", "history", "gold_titles", "keypoints", "notes"}
TYPE_COUNTS = {
    "single_fact": 10,
    "which_paper": 5,
    "multi_paper": 4,
    "summary": 4,
    "follow_up": 4,
    "comparison": 3,
    "unanswerable": 20,
}
ANSWERABLE_LABELS = {"paraphrased", "terse", "plain"}
UNANSWERABLE_LABELS = {"near_miss": 9, "general_knowledge": 6, "absent_topic": 5}

STOPWORDS = set(
    """
a about above after again against all also am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
don't down during each either etc few for from further get gets got had hadn't has hasn't have
haven't having he he'd he'll he's her here here's hers herself him himself his how how's however i
i'd i'll i'm i've if in into is isn't it it's its itself just let's like may me might more most
much must mustn't my myself no nor not now of off on once one only or other ought our ours
ourselves out over own per same shan't she she'd she'll she's should shouldn't so some such than
that that's the their theirs them themselves then there there's these they they'd they'll they're
they've this those through thus to too under until up upon us very via was wasn't we we'd we'll
we're we've were weren't what what's when when's where where's whether which while who who's whom
why why's will with within without won't would wouldn't yet you you'd you'll you're you've your
yours yourself yourselves s t d ll m o re ve y
""".split()
)


def content_tokens(text):
    toks = re.findall(r"[a-z0-9]+", text.lower())
    return [t for t in toks if t not in STOPWORDS]


def trigrams(tokens):
    return {tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)}


def load_jsonl(path, errors):
    rows = []
    try:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    errors.append(f"{os.path.basename(path)} line {n}: empty line")
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    errors.append(f"{os.path.basename(path)} line {n}: bad JSON ({exc})")
    except OSError as exc:
        errors.append(f"cannot read {path}: {exc}")
    return rows


def check_papers(papers, errors):
    if len(papers) != 48:
        errors.append(f"papers.jsonl: expected 48 papers, found {len(papers)}")
    titles = []
    for i, p in enumerate(papers, 1):
        where = f"paper {i}"
        if not isinstance(p, dict):
            errors.append(f"{where}: not an object")
            continue
        if set(p) != PAPER_KEYS:
            errors.append(f"{where}: keys {sorted(p)} != {sorted(PAPER_KEYS)}")
            continue
        if not isinstance(p["title"], str) or not p["title"].strip():
            errors.append(f"{where}: title must be a non-empty string")
        else:
            titles.append(p["title"])
        if not isinstance(p["abstract"], str):
            errors.append(f"{where}: abstract must be a string")
        elif len(p["abstract"].split()) < 70:
            errors.append(f"{where}: abstract has {len(p['abstract'].split())} words (< 70)")
        if not isinstance(p["authors"], list) or not all(isinstance(a, str) for a in p["authors"]):
            errors.append(f"{where}: authors must be a list of strings")
        if p["year"] is not None and (not isinstance(p["year"], int) or isinstance(p["year"], bool)):
            errors.append(f"{where}: year must be int or null")
        if not isinstance(p["venue"], str):
            errors.append(f"{where}: venue must be a string")
        if not isinstance(p["doi"], str):
            errors.append(f"{where}: doi must be a string")
    dup = [t for t, c in Counter(titles).items() if c > 1]
    if dup:
        errors.append(f"papers.jsonl: duplicate titles {dup}")
    return {p["title"]: p["abstract"] for p in papers if isinstance(p, dict) and "title" in p and "abstract" in p}


def check_questions(questions, abstracts, qmeta, errors):
    if len(questions) != 50:
        errors.append(f"questions.jsonl: expected 50 questions, found {len(questions)}")
    ids = []
    types = Counter()
    for n, q in enumerate(questions, 1):
        if not isinstance(q, dict):
            errors.append(f"question {n}: not an object")
            continue
        if set(q) != QUESTION_KEYS:
            errors.append(f"question {n}: keys {sorted(q)} != {sorted(QUESTION_KEYS)}")
            continue
        qid = q["id"]
        where = f"question {qid}"
        ids.append(qid)
        if not isinstance(qid, str) or not re.fullmatch(r"r\d{3}", qid):
            errors.append(f"{where}: bad id")
        qtype = q["type"]
        types[qtype] += 1
        if qtype not in TYPE_COUNTS:
            errors.append(f"{where}: unknown type {qtype!r}")
        if not isinstance(q["question"], str) or not q["question"].strip():
            errors.append(f"{where}: empty question")
        if not isinstance(q["notes"], str) or not q["notes"].strip():
            errors.append(f"{where}: notes must be a non-empty string")
        # history shape
        hist = q["history"]
        if not isinstance(hist, list):
            errors.append(f"{where}: history must be a list")
        elif qtype == "follow_up":
            if not hist:
                errors.append(f"{where}: follow_up needs a non-empty history")
            for pair in hist:
                if (
                    not isinstance(pair, list)
                    or len(pair) != 2
                    or not all(isinstance(x, str) and x.strip() for x in pair)
                ):
                    errors.append(f"{where}: history items must be [question, answer] string pairs")
        elif hist:
            errors.append(f"{where}: history must be [] for type {qtype}")
        gold = q["gold_titles"]
        kps = q["keypoints"]
        if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
            errors.append(f"{where}: gold_titles must be a list of strings")
            continue
        if not isinstance(kps, list):
            errors.append(f"{where}: keypoints must be a list")
            continue
        label = qmeta.get(qid)
        if qtype == "unanswerable":
            if gold:
                errors.append(f"{where}: unanswerable must have empty gold_titles")
            if kps:
                errors.append(f"{where}: unanswerable must have empty keypoints")
            if label not in UNANSWERABLE_LABELS:
                errors.append(f"{where}: qmeta label {label!r} not allowed for unanswerable")
            continue
        # answerable
        if label not in ANSWERABLE_LABELS:
            errors.append(f"{where}: qmeta label {label!r} not allowed for answerable")
        if not gold:
            errors.append(f"{where}: answerable question needs gold_titles")
        missing = [g for g in gold if g not in abstracts]
        if missing:
            errors.append(f"{where}: gold titles not in papers.jsonl: {missing}")
        if len(set(gold)) != len(gold):
            errors.append(f"{where}: duplicate gold titles")
        if qtype == "comparison" and len(gold) != 2:
            errors.append(f"{where}: comparison needs exactly 2 gold titles")
        if qtype == "multi_paper" and len(gold) < 2:
            errors.append(f"{where}: multi_paper needs at least 2 gold titles")
        if qtype in ("single_fact", "which_paper", "summary", "follow_up") and len(gold) != 1:
            errors.append(f"{where}: {qtype} needs exactly 1 gold title")
        gold_abs = [abstracts[g].lower() for g in gold if g in abstracts]
        if not kps:
            errors.append(f"{where}: answerable question needs keypoints")
        for kp in kps:
            if not isinstance(kp, list) or not kp or not all(isinstance(a, str) and a.strip() for a in kp):
                errors.append(f"{where}: each keypoint must be a non-empty list of strings")
                continue
            for alt in kp:
                if not any(alt.lower() in a for a in gold_abs):
                    errors.append(f"{where}: keypoint alternative {alt!r} not found in any gold abstract")
        if label == "paraphrased":
            qtri = trigrams(content_tokens(q["question"]))
            for g in gold:
                if g not in abstracts:
                    continue
                shared = qtri & trigrams(content_tokens(abstracts[g]))
                if shared:
                    errors.append(
                        f"{where}: paraphrased question shares content trigrams with "
                        f"'{g[:50]}': {sorted(' '.join(s) for s in shared)}"
                    )
    dups = [i for i, c in Counter(ids).items() if c > 1]
    if dups:
        errors.append(f"questions.jsonl: duplicate ids {dups}")
    expected_ids = {f"r{i:03d}" for i in range(1, 51)}
    if set(ids) != expected_ids:
        errors.append(
            f"questions.jsonl: ids differ from r001..r050 "
            f"(missing {sorted(expected_ids - set(ids))}, extra {sorted(set(ids) - expected_ids)})"
        )
    for t, c in TYPE_COUNTS.items():
        if types.get(t, 0) != c:
            errors.append(f"questions.jsonl: type {t} has {types.get(t, 0)} questions, expected {c}")
    return set(ids)


def check_qmeta(qmeta, ids, errors):
    if not isinstance(qmeta, dict):
        errors.append("qmeta.json must be an object")
        return
    allowed = ANSWERABLE_LABELS | set(UNANSWERABLE_LABELS)
    for qid in ids:
        if qid not in qmeta:
            errors.append(f"qmeta.json: missing id {qid}")
    for qid, label in qmeta.items():
        if qid not in ids:
            errors.append(f"qmeta.json: unknown id {qid}")
        if label not in allowed:
            errors.append(f"qmeta.json: {qid} has bad label {label!r}")
    counts = Counter(qmeta.values())
    for label, n in UNANSWERABLE_LABELS.items():
        if counts.get(label, 0) != n:
            errors.append(f"qmeta.json: {label} count {counts.get(label, 0)} != {n}")


def main():
    errors = []
    papers = load_jsonl(os.path.join(HERE, "papers.jsonl"), errors)
    questions = load_jsonl(os.path.join(HERE, "questions.jsonl"), errors)
    try:
        with open(os.path.join(HERE, "qmeta.json"), encoding="utf-8") as fh:
            qmeta = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        errors.append(f"cannot load qmeta.json: {exc}")
        qmeta = {}
    abstracts = check_papers(papers, errors)
    ids = check_questions(questions, abstracts, qmeta if isinstance(qmeta, dict) else {}, errors)
    check_qmeta(qmeta, ids, errors)
    if errors:
        for e in errors:
            print("ERROR:", e)
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
