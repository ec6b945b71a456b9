#!/usr/bin/env python3
"""Validate the bio_social_geo evaluation set (papers.jsonl, questions.jsonl, qmeta.json).

Standard library only. Run from any directory: python3 validate.py
Prints OK and exits 0 when every check passes; otherwise prints the errors and exits 1.
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

PAPER_KEYS = {"title", "abstract", "authors", "year", "venue", "url", "doi"}
QUESTION_KEYS = {"id", "type", "question", "history", "gold_titles", "keypoints", "notes"}
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
MULTI_GOLD_TYPES = {"multi_paper", "comparison"}
STOPWORDS = set(
    "a an the of in on for to and or with by from at as is are was were be been being it its "
    "this that these those what which who whom how did does do done than into about over after "
    "before between their they them there any some not no per vs s i me my we our you your "
    "if then so such can could would should will may might also only just".split()
)
EXPECTED_IDS = ["z%03d" % i for i in range(1, 51)]


def content_tokens(text):
    return [t for t in re.findall(r"[a-z0-9]+", text.lower()) if t not in STOPWORDS]


def trigrams(tokens):
    return {tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)}


def load_jsonl(path, errors):
    rows = []
    if not os.path.exists(path):
        errors.append("missing file: %s" % os.path.basename(path))
        return rows
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                errors.append("%s line %d: blank line" % (os.path.basename(path), n))
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                errors.append("%s line %d: JSON error: %s" % (os.path.basename(path), n, exc))
    return rows


def check_papers(papers, errors):
    titles = {}
    for n, p in enumerate(papers, 1):
        if not isinstance(p, dict):
            errors.append("paper %d: not an object" % n)
            continue
        if set(p) != PAPER_KEYS:
            errors.append("paper %d: keys %s != %s" % (n, sorted(p), sorted(PAPER_KEYS)))
            continue
        for key in ("title", "abstract", "venue", "url", "doi"):
            if not isinstance(p[key], str):
                errors.append("paper %d: %s must be a string" % (n, key))
        if not isinstance(p["authors"], list) or not all(isinstance(a, str) for a in p["authors"]):
            errors.append("paper %d: authors must be a list of strings" % n)
        if p["year"] is not None and not isinstance(p["year"], int):
            errors.append("paper %d: year must be int or null" % n)
        if not str(p.get("title", "")).strip():
            errors.append("paper %d: empty title" % n)
        if not str(p.get("abstract", "")).strip():
            errors.append("paper %d: empty abstract" % n)
        if not str(p.get("url", "")).strip():
            errors.append("paper %d: missing url" % n)
        title = p.get("title")
        if title in titles:
            errors.append("duplicate paper title: %r (papers %d and %d)" % (title, titles[title], n))
        else:
            titles[title] = n
    return {p["title"]: p for p in papers if isinstance(p, dict) and "title" in p}


def check_questions(questions, by_title, errors):
    counts = {}
    seen = set()
    for q in questions:
        if not isinstance(q, dict):
            errors.append("question: not an object")
            continue
        qid = q.get("id", "?")
        if set(q) != QUESTION_KEYS:
            errors.append("%s: keys %s != %s" % (qid, sorted(q), sorted(QUESTION_KEYS)))
            continue
        if qid in seen:
            errors.append("duplicate id %s" % qid)
        seen.add(qid)
        qtype = q["type"]
        if qtype not in TYPE_COUNTS:
            errors.append("%s: unknown type %r" % (qid, qtype))
        counts[qtype] = counts.get(qtype, 0) + 1
        if not isinstance(q["question"], str) or not q["question"].strip():
            errors.append("%s: empty question" % qid)
        if not isinstance(q["notes"], str) or not q["notes"].strip():
            errors.append("%s: empty notes" % qid)
        gold = q["gold_titles"]
        kps = q["keypoints"]
        hist = q["history"]
        if not isinstance(gold, list) or not isinstance(kps, list) or not isinstance(hist, list):
            errors.append("%s: gold_titles, keypoints and history must be lists" % qid)
            continue
        for t in gold:
            if t not in by_title:
                errors.append("%s: gold title not in papers.jsonl: %r" % (qid, t))
        if qtype == "follow_up":
            if not hist:
                errors.append("%s: follow_up needs a non-empty history" % qid)
            for pair in hist:
                ok = isinstance(pair, list) and len(pair) == 2
                if not ok or not all(isinstance(x, str) and x.strip() for x in pair):
                    errors.append("%s: history entries must be [question, answer] string pairs" % qid)
        elif hist:
            errors.append("%s: history must be empty for type %s" % (qid, qtype))
        if qtype == "unanswerable":
            if gold:
                errors.append("%s: unanswerable must have no gold titles" % qid)
            if kps:
                errors.append("%s: unanswerable must have no keypoints" % qid)
            continue
        if not gold:
            errors.append("%s: answerable question without gold titles" % qid)
        if qtype in MULTI_GOLD_TYPES and len(gold) < 2:
            errors.append("%s: %s needs at least 2 gold titles" % (qid, qtype))
        if len(set(gold)) != len(gold):
            errors.append("%s: repeated gold title" % qid)
        if not 1 <= len(kps) <= 3:
            errors.append("%s: answerable needs 1-3 keypoint groups, has %d" % (qid, len(kps)))
        text = " ".join(by_title[t]["abstract"] for t in gold if t in by_title).lower()
        for g, group in enumerate(kps):
            if not isinstance(group, list) or not group or not all(isinstance(s, str) for s in group):
                errors.append("%s: keypoint group %d must be a non-empty list of strings" % (qid, g))
                continue
            if not any(s.strip() and s.lower() in text for s in group):
                errors.append("%s: keypoint group %d %r not found in gold abstracts" % (qid, g, group))
    for t, n in TYPE_COUNTS.items():
        if counts.get(t, 0) != n:
            errors.append("type %s: expected %d, found %d" % (t, n, counts.get(t, 0)))
    if sorted(seen) != EXPECTED_IDS:
        errors.append("ids must be exactly z001..z050")


def check_qmeta(qmeta, questions, by_title, errors):
    if not isinstance(qmeta, dict):
        errors.append("qmeta.json must be a JSON object")
        return
    qs = {q["id"]: q for q in questions if isinstance(q, dict) and "id" in q}
    if set(qmeta) != set(qs):
        missing = sorted(set(qs) - set(qmeta))
        extra = sorted(set(qmeta) - set(qs))
        errors.append("qmeta ids differ from questions (missing %s, extra %s)" % (missing, extra))
    counts = {}
    for qid, style in qmeta.items():
        counts[style] = counts.get(style, 0) + 1
        q = qs.get(qid)
        if q is None:
            continue
        if q.get("type") == "unanswerable":
            if style not in UNANSWERABLE_STYLES:
                errors.append("%s: unanswerable style %r not allowed" % (qid, style))
        elif style not in ANSWERABLE_STYLES:
            errors.append("%s: answerable style %r not allowed" % (qid, style))
        if style == "paraphrased" and q.get("gold_titles"):
            qgrams = trigrams(content_tokens(q["question"]))
            for t in q["gold_titles"]:
                if t not in by_title:
                    continue
                shared = qgrams & trigrams(content_tokens(by_title[t]["abstract"]))
                if shared:
                    runs = ", ".join(" ".join(s) for s in sorted(shared))
                    errors.append("%s: paraphrased question shares runs with %r: %s" % (qid, t[:50], runs))
    for style, n in list(ANSWERABLE_STYLES.items()) + list(UNANSWERABLE_STYLES.items()):
        if counts.get(style, 0) != n:
            errors.append("style %s: expected %d, found %d" % (style, n, counts.get(style, 0)))
    which = [
        qid
        for qid, s in qmeta.items()
        if s == "absent_topic" and qid in qs and qs[qid]["question"].startswith("Which paper")
    ]
    if len(which) < 2:
        errors.append("absent_topic needs at least 2 questions starting 'Which paper', found %d" % len(which))


def main():
    errors = []
    papers = load_jsonl(os.path.join(HERE, "papers.jsonl"), errors)
    questions = load_jsonl(os.path.join(HERE, "questions.jsonl"), errors)
    qmeta = None
    qmeta_path = os.path.join(HERE, "qmeta.json")
    try:
        with open(qmeta_path, encoding="utf-8") as fh:
            qmeta = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        errors.append("qmeta.json: %s" % exc)
    by_title = check_papers(papers, errors)
    check_questions(questions, by_title, errors)
    if qmeta is not None:
        check_qmeta(qmeta, questions, by_title, errors)
    if errors:
        for e in errors:
            print("ERROR:", e)
        print("%d error(s)" % len(errors))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
