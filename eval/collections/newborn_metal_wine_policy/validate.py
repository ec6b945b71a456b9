#!/usr/bin/env python3
"""Standalone validator for the evaluation collection (standard library only)."""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TYPE_COUNTS = {
    "single_fact": 10,
    "which_paper": 5,
    "multi_paper": 4,
    "summary": 4,
    "follow_up": 4,
    "comparison": 3,
    "unanswerable": 20,
}
ANSWERABLE_SUB = {"paraphrased", "terse", "plain"}
UNANSWERABLE_SUB = {"near_miss": 9, "general_knowledge": 6, "absent_topic": 5}
PAPER_FIELDS = {"title": str, "abstract": str, "authors": list, "year": (int, type(None)), "venue": str, "doi": str}
Q_FIELDS = ["id", "type", "question", "history", "gold_titles", "keypoints", "notes"]
STOPWORDS = set(
    """
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not of off on once only or other our ours ourselves out over own same she should so
some such than that the their theirs them themselves then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you your
yours yourself yourselves also any may might must per via vs versus etc s t
""".split()
)

errors = []


def err(msg):
    errors.append(msg)


def load_jsonl(name):
    rows = []
    with open(os.path.join(HERE, name), encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    err("%s line %d: bad JSON (%s)" % (name, n, exc))
    return rows


def content_tokens(text):
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS]


def ngrams(tokens, n=3):
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def main():
    papers = load_jsonl("papers.jsonl")
    if len(papers) != 48:
        err("expected 48 papers, found %d" % len(papers))
    abstracts = {}
    for i, p in enumerate(papers, 1):
        for key, typ in PAPER_FIELDS.items():
            if key not in p:
                err("paper %d missing field %r" % (i, key))
            elif not isinstance(p[key], typ):
                err("paper %d field %r has wrong type" % (i, key))
        title = p.get("title", "")
        if not title.strip():
            err("paper %d has empty title" % i)
        if title in abstracts:
            err("duplicate title: %r" % title)
        if len(p.get("abstract", "").split()) < 70:
            err("paper %r abstract shorter than 70 words" % title)
        abstracts[title] = p.get("abstract", "")

    questions = load_jsonl("questions.jsonl")
    if len(questions) != 50:
        err("expected 50 questions, found %d" % len(questions))
    ids = [q.get("id") for q in questions]
    expected_ids = ["g%03d" % i for i in range(1, 51)]
    if sorted(ids) != expected_ids:
        err("question ids are not exactly g001..g050 (unique)")
    counts = {}
    for q in questions:
        counts[q.get("type")] = counts.get(q.get("type"), 0) + 1
    if counts != TYPE_COUNTS:
        err("type counts %s differ from %s" % (counts, TYPE_COUNTS))

    with open(os.path.join(HERE, "qmeta.json"), encoding="utf-8") as fh:
        qmeta = json.load(fh)
    if set(qmeta) != set(expected_ids):
        err("qmeta.json does not cover exactly g001..g050")

    sub_counts = {}
    n_para = 0
    for q in questions:
        qid = q.get("id")
        for key in Q_FIELDS:
            if key not in q:
                err("%s missing field %r" % (qid, key))
        gold = q.get("gold_titles", [])
        kps = q.get("keypoints", [])
        sub = qmeta.get(qid)
        sub_counts[sub] = sub_counts.get(sub, 0) + 1
        if not str(q.get("question", "")).strip() or not str(q.get("notes", "")).strip():
            err("%s has empty question or notes" % qid)
        if q.get("type") == "unanswerable":
            if gold or kps:
                err("%s unanswerable but has gold titles or keypoints" % qid)
            if sub not in UNANSWERABLE_SUB:
                err("%s unanswerable with sub-type %r" % (qid, sub))
            continue
        if sub not in ANSWERABLE_SUB:
            err("%s answerable with sub-type %r" % (qid, sub))
        if not gold:
            err("%s answerable but has no gold titles" % qid)
        if not kps:
            err("%s answerable but has no keypoints" % qid)
        for t in gold:
            if t not in abstracts:
                err("%s gold title not in papers.jsonl: %r" % (qid, t))
        gold_text = [abstracts.get(t, "").lower() for t in gold]
        for kp in kps:
            if not isinstance(kp, list) or not kp:
                err("%s keypoint is not a non-empty list: %r" % (qid, kp))
                continue
            if not any(alt.lower() in a for alt in kp for a in gold_text):
                err("%s keypoint %r not found in any gold abstract" % (qid, kp))
        hist = q.get("history", [])
        if q.get("type") == "follow_up":
            ok = bool(hist) and all(isinstance(h, list) and len(h) == 2 for h in hist)
            if not ok:
                err("%s follow_up needs non-empty history of [question, answer] pairs" % qid)
            if len(gold) != 1:
                err("%s follow_up should have exactly one gold title" % qid)
        if q.get("type") == "comparison" and len(gold) != 2:
            err("%s comparison should have exactly two gold titles" % qid)
        if q.get("type") == "multi_paper" and len(gold) < 2:
            err("%s multi_paper should have several gold titles" % qid)
        if sub == "paraphrased":
            n_para += 1
            qgrams = ngrams(content_tokens(q.get("question", "")))
            for t in gold:
                shared = qgrams & ngrams(content_tokens(abstracts.get(t, "")))
                if shared:
                    err("%s paraphrased question shares %s with %r" % (qid, sorted(shared), t[:50]))
    for sub, n in UNANSWERABLE_SUB.items():
        if sub_counts.get(sub, 0) != n:
            err("expected %d %s questions, found %d" % (n, sub, sub_counts.get(sub, 0)))

    print("papers: %d, unique titles: %d" % (len(papers), len(abstracts)))
    print("questions: %d, types: %s" % (len(questions), json.dumps(counts, sort_keys=True)))
    print("sub-types: %s" % json.dumps(sub_counts, sort_keys=True))
    print("paraphrased questions checked for 3-gram overlap: %d" % n_para)
    if errors:
        print("FAILED with %d problem(s):" % len(errors))
        for e in errors:
            print("  - " + e)
        return 1
    print("OK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
