#!/usr/bin/env python3
"""Standalone checker for eval/sixth_questions.jsonl (standard library only).

Checks: valid JSON per line, exact key set, ids s6-001.. in order and unique,
per-type counts (48 answerable / 32 unanswerable), gold titles exist exactly in
the collection, unanswerable items have empty gold_titles/keypoints, every
keypoint alternative of an answerable item occurs (case-insensitively) in one
of its gold abstracts, follow-ups have non-empty history.
Exits non-zero on any failure.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
QFILE = os.path.join(HERE, "sixth_questions.jsonl")
DATA = [os.path.join(ROOT, "data", "000_364d77c6708df215.txt"),
        os.path.join(ROOT, "data", "001_10a685ef451fa504.txt")]

KEYS = {"id", "type", "question", "history", "gold_titles", "keypoints", "notes"}
EXPECTED = {"single_fact": 16, "which_paper": 8, "multi_paper": 6, "summary": 6,
            "comparison": 6, "follow_up": 6, "unanswerable": 32}
N_TOTAL = 80
N_EXPECTED_PAPERS = 282


def load_collection():
    papers = {}
    for path in DATA:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        body = lines[2:]
        while body and body[-1].strip() == "":
            body.pop()
        if len(body) % 2:
            raise SystemExit("FAIL: odd number of title/abstract lines in %s" % path)
        for i in range(0, len(body), 2):
            title, abstract = body[i], body[i + 1]
            if i == 0:
                if not title.startswith("Subscribe"):
                    raise SystemExit("FAIL: first title of %s lacks 'Subscribe'" % path)
                title = title[len("Subscribe"):]
            if title in papers and papers[title] != abstract:
                raise SystemExit("FAIL: duplicate title with different abstract: %r" % title)
            papers[title] = abstract
    return papers


def main():
    errors = []
    papers = load_collection()
    if len(papers) != N_EXPECTED_PAPERS:
        errors.append("collection has %d distinct papers, expected %d" % (len(papers), N_EXPECTED_PAPERS))

    items = []
    with open(QFILE, encoding="utf-8") as f:
        raw = f.read().split("\n")
    if raw and raw[-1] == "":
        raw.pop()
    for n, line in enumerate(raw, 1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append("line %d: invalid JSON (%s)" % (n, e))
            continue
        if not isinstance(obj, dict):
            errors.append("line %d: not a JSON object" % n)
            continue
        items.append((n, obj))

    if len(raw) != N_TOTAL:
        errors.append("expected %d lines, found %d" % (N_TOTAL, len(raw)))

    counts = {}
    seen_ids = set()
    for idx, (n, q) in enumerate(items, 1):
        tag = "line %d" % n
        if set(q.keys()) != KEYS:
            errors.append("%s: keys %s != %s" % (tag, sorted(q.keys()), sorted(KEYS)))
            continue
        qid = q["id"]
        tag = "%s (%s)" % (tag, qid)
        if qid in seen_ids:
            errors.append("%s: duplicate id" % tag)
        seen_ids.add(qid)
        if qid != "s6-%03d" % idx:
            errors.append("%s: id out of order, expected s6-%03d" % (tag, idx))
        t = q["type"]
        counts[t] = counts.get(t, 0) + 1
        if t not in EXPECTED:
            errors.append("%s: unknown type %r" % (tag, t))
        if not isinstance(q["question"], str) or not q["question"].strip():
            errors.append("%s: empty question" % tag)
        if not isinstance(q["notes"], str) or not q["notes"].strip():
            errors.append("%s: empty notes" % tag)
        hist = q["history"]
        if not isinstance(hist, list) or any(
                not (isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) and x.strip() for x in h))
                for h in hist):
            errors.append("%s: history must be a list of [question, answer] string pairs" % tag)
        if t == "follow_up" and not hist:
            errors.append("%s: follow_up with empty history" % tag)
        if t != "follow_up" and hist:
            errors.append("%s: non-follow-up with history" % tag)
        gold = q["gold_titles"]
        kps = q["keypoints"]
        if not isinstance(gold, list) or not isinstance(kps, list):
            errors.append("%s: gold_titles/keypoints must be lists" % tag)
            continue
        if t == "unanswerable":
            if gold or kps:
                errors.append("%s: unanswerable must have empty gold_titles and keypoints" % tag)
            continue
        if not gold:
            errors.append("%s: answerable question without gold_titles" % tag)
        if len(set(gold)) != len(gold):
            errors.append("%s: duplicate gold titles" % tag)
        missing = [g for g in gold if g not in papers]
        for g in missing:
            errors.append("%s: gold title not in collection: %r" % (tag, g))
        if t == "multi_paper" and not 2 <= len(gold) <= 4:
            errors.append("%s: multi_paper needs 2-4 gold titles, has %d" % (tag, len(gold)))
        if t == "comparison" and len(gold) != 2:
            errors.append("%s: comparison needs 2 gold titles, has %d" % (tag, len(gold)))
        if t in ("single_fact", "which_paper", "summary", "follow_up") and len(gold) != 1:
            errors.append("%s: %s needs exactly 1 gold title, has %d" % (tag, t, len(gold)))
        if not kps:
            errors.append("%s: answerable question without keypoints" % tag)
        abstracts = [papers[g].lower() for g in gold if g in papers]
        for gi, group in enumerate(kps):
            if not isinstance(group, list) or not group:
                errors.append("%s: keypoint group %d must be a non-empty list" % (tag, gi))
                continue
            for alt in group:
                if not isinstance(alt, str) or not alt.strip():
                    errors.append("%s: keypoint group %d has an empty/non-string alternative" % (tag, gi))
                    continue
                if not any(alt.lower() in a for a in abstracts):
                    errors.append("%s: keypoint %r not found in any gold abstract" % (tag, alt))

    for t, want in EXPECTED.items():
        if counts.get(t, 0) != want:
            errors.append("type %s: %d questions, expected %d" % (t, counts.get(t, 0), want))
    answerable = sum(v for k, v in counts.items() if k != "unanswerable")
    unanswerable = counts.get("unanswerable", 0)
    if answerable != 48 or unanswerable != 32:
        errors.append("answerable/unanswerable = %d/%d, expected 48/32" % (answerable, unanswerable))

    print("collection: %d distinct papers" % len(papers))
    print("questions: %d lines, %d parsed" % (len(raw), len(items)))
    for t in EXPECTED:
        print("  %-13s %3d (expected %d)" % (t, counts.get(t, 0), EXPECTED[t]))
    print("answerable %d / unanswerable %d" % (answerable, unanswerable))
    if errors:
        print("FAILED: %d problem(s)" % len(errors))
        for e in errors:
            print("  - " + e)
        sys.exit(1)
    print("OK: all checks passed")


if __name__ == "__main__":
    main()
