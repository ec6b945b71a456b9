#!/usr/bin/env python3
"""Standalone checker for eval/seventh_questions.jsonl (standard library only).

Checks: valid JSON per line, exact keys, ids s7-001..s7-080 in order, per-type
counts, gold titles exist in the corpus (../data/*.txt relative to this script),
unanswerable items have empty gold_titles/keypoints, every keypoint alternative
occurs (case-insensitively) in one of the item's gold abstracts, follow-ups have
a non-empty history of [question, answer] pairs.  Prints "OK" or exits non-zero.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
QFILE = os.path.join(HERE, "seventh_questions.jsonl")
DATA = os.path.join(HERE, "..", "data")
CORPUS_FILES = ["000_364d77c6708df215.txt", "001_10a685ef451fa504.txt"]
KEYS = ["id", "type", "question", "history", "gold_titles", "keypoints", "notes"]
COUNTS = {"single_fact": 16, "which_paper": 8, "multi_paper": 6, "summary": 6,
          "comparison": 6, "follow_up": 6, "unanswerable": 32}
N_TOTAL = 80
N_PAPERS = 282


def load_corpus():
    papers = {}
    for name in CORPUS_FILES:
        with open(os.path.join(DATA, name), encoding="utf-8") as f:
            lines = f.read().split("\n")[2:]
        while lines and lines[-1].strip() == "":
            lines.pop()
        if len(lines) % 2:
            raise ValueError("%s: odd number of title/abstract lines" % name)
        for i in range(0, len(lines), 2):
            title, abstract = lines[i], lines[i + 1]
            if i == 0 and title.startswith("Subscribe"):
                title = title[len("Subscribe"):]
            if title in papers and papers[title] != abstract:
                raise ValueError("conflicting abstracts for %r" % title)
            papers.setdefault(title, abstract)
    return papers


def main():
    errors = []

    def err(msg):
        errors.append(msg)

    try:
        corpus = load_corpus()
    except Exception as e:  # noqa: BLE001
        print("FAIL: cannot parse corpus: %s" % e)
        return 1
    if len(corpus) != N_PAPERS:
        err("corpus has %d distinct papers, expected %d" % (len(corpus), N_PAPERS))

    items = []
    try:
        with open(QFILE, encoding="utf-8") as f:
            raw = f.read().split("\n")
    except OSError as e:
        print("FAIL: cannot read %s: %s" % (QFILE, e))
        return 1
    if raw and raw[-1] == "":
        raw.pop()
    for n, line in enumerate(raw, 1):
        try:
            obj = json.loads(line)
        except ValueError as e:
            err("line %d: invalid JSON (%s)" % (n, e))
            continue
        if not isinstance(obj, dict):
            err("line %d: not a JSON object" % n)
            continue
        items.append((n, obj))

    if len(raw) != N_TOTAL:
        err("expected %d lines, found %d" % (N_TOTAL, len(raw)))

    counts = {}
    for idx, (n, o) in enumerate(items, 1):
        where = "line %d" % n
        if list(o.keys()) != KEYS:
            err("%s: keys %r, expected %r" % (where, list(o.keys()), KEYS))
            continue
        want_id = "s7-%03d" % idx
        if o["id"] != want_id:
            err("%s: id %r, expected %r" % (where, o["id"], want_id))
        where = "%s (%s)" % (where, o["id"])
        t = o["type"]
        if t not in COUNTS:
            err("%s: unknown type %r" % (where, t))
            continue
        counts[t] = counts.get(t, 0) + 1
        for k in ("question", "notes"):
            if not isinstance(o[k], str) or not o[k].strip():
                err("%s: %s must be a non-empty string" % (where, k))
        for k in ("history", "gold_titles", "keypoints"):
            if not isinstance(o[k], list):
                err("%s: %s must be a list" % (where, k))
        if not all(isinstance(o[k], list) for k in ("history", "gold_titles", "keypoints")):
            continue

        # history
        if t == "follow_up":
            if not o["history"]:
                err("%s: follow_up needs a non-empty history" % where)
            for turn in o["history"]:
                # one earlier exchange: [question, answer], both non-empty strings
                if (not isinstance(turn, list) or len(turn) != 2
                        or not all(isinstance(x, str) and x.strip() for x in turn)):
                    err("%s: bad history turn %r" % (where, turn))
        elif o["history"]:
            err("%s: history must be [] for type %s" % (where, t))

        # gold titles
        for g in o["gold_titles"]:
            if g not in corpus:
                err("%s: gold title not in corpus: %r" % (where, g))
        if len(set(o["gold_titles"])) != len(o["gold_titles"]):
            err("%s: duplicate gold titles" % where)

        if t == "unanswerable":
            if o["gold_titles"] or o["keypoints"]:
                err("%s: unanswerable must have empty gold_titles and keypoints" % where)
            continue

        if not o["gold_titles"]:
            err("%s: answerable item without gold_titles" % where)
        if t == "multi_paper" and not 2 <= len(o["gold_titles"]) <= 4:
            err("%s: multi_paper needs 2-4 gold titles" % where)
        if t == "comparison" and len(o["gold_titles"]) != 2:
            err("%s: comparison needs exactly 2 gold titles" % where)
        if t in ("single_fact", "which_paper", "summary", "follow_up") and len(o["gold_titles"]) != 1:
            err("%s: %s needs exactly 1 gold title" % (where, t))

        # keypoints
        kps = o["keypoints"]
        if not 1 <= len(kps) <= 3:
            err("%s: need 1-3 keypoint groups, got %d" % (where, len(kps)))
        abstracts = [corpus[g].lower() for g in o["gold_titles"] if g in corpus]
        for grp in kps:
            if not isinstance(grp, list) or not grp:
                err("%s: keypoint group must be a non-empty list" % where)
                continue
            for alt in grp:
                if not isinstance(alt, str) or not alt.strip():
                    err("%s: empty keypoint alternative" % where)
                elif not any(alt.lower() in a for a in abstracts):
                    err("%s: keypoint %r not found in any gold abstract" % (where, alt))

    for t, c in COUNTS.items():
        if counts.get(t, 0) != c:
            err("type %s: %d items, expected %d" % (t, counts.get(t, 0), c))

    if errors:
        for e in errors:
            print("FAIL:", e)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
