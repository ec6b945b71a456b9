#!/usr/bin/env python3
"""Validate eval/fifth_questions.jsonl against the bundled corpus (standard library only).

Run from the repository root:  python eval/fifth_check.py
Prints ALL CHECKS PASSED and exits 0 on success; lists every problem and exits 1 otherwise.
"""
import glob
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QFILE = os.path.join(ROOT, "eval", "fifth_questions.jsonl")
DATA_GLOB = os.path.join(ROOT, "data", "*.txt")

EXPECTED_KEYS = ["id", "type", "question", "history", "gold_titles", "keypoints"]
EXPECTED_COUNTS = {
    "single_fact": 20,
    "which_paper": 12,
    "summary": 8,
    "comparison": 6,
    "list": 6,
    "follow_up": 8,
    "unanswerable": 40,
}


def load_corpus():
    """Return {title: abstract} from the data files (header lines skipped, 'Subscribe' stripped)."""
    papers = {}
    files = sorted(glob.glob(DATA_GLOB))
    for path in files:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        body = lines[2:]
        while body and not body[-1].strip():
            body.pop()
        for i in range(0, len(body) - 1, 2):
            title = body[i].strip()
            if title.startswith("Subscribe"):
                title = title[len("Subscribe"):]
            abstract = body[i + 1].strip()
            if title in papers and papers[title] != abstract:
                raise SystemExit("corpus: conflicting duplicate for title %r" % title)
            papers[title] = abstract
    return files, papers


def main():
    errors = []

    def err(msg):
        errors.append(msg)

    files, papers = load_corpus()
    if len(files) != 2:
        err("expected 2 corpus files under data/, found %d" % len(files))
    if len(papers) != 282:
        err("expected 282 distinct papers, found %d" % len(papers))
    lower_abs = {t: a.lower() for t, a in papers.items()}

    with open(QFILE, encoding="utf-8") as f:
        raw_lines = [ln for ln in f.read().split("\n") if ln.strip()]
    if len(raw_lines) != 100:
        err("expected exactly 100 lines, found %d" % len(raw_lines))

    items = []
    for n, ln in enumerate(raw_lines, 1):
        try:
            obj = json.loads(ln)
        except json.JSONDecodeError as e:
            err("line %d: invalid JSON (%s)" % (n, e))
            continue
        if not isinstance(obj, dict):
            err("line %d: not a JSON object" % n)
            continue
        if list(obj.keys()) != EXPECTED_KEYS and sorted(obj.keys()) != sorted(EXPECTED_KEYS):
            err("line %d: keys %s != %s" % (n, sorted(obj.keys()), sorted(EXPECTED_KEYS)))
            continue
        items.append((n, obj))

    # ids
    ids = [o["id"] for _, o in items]
    if len(set(ids)) != len(ids):
        err("duplicate ids: %s" % sorted({i for i in ids if ids.count(i) > 1}))
    expected_ids = ["f%03d" % k for k in range(1, 101)]
    if sorted(ids) != expected_ids:
        err("ids are not exactly f001..f100: missing=%s extra=%s"
            % (sorted(set(expected_ids) - set(ids)), sorted(set(ids) - set(expected_ids))))
    if ids != expected_ids[:len(ids)]:
        err("ids are not in order f001..f100")

    # counts
    counts = {}
    for _, o in items:
        counts[o.get("type")] = counts.get(o.get("type"), 0) + 1
    for t, c in counts.items():
        if t not in EXPECTED_COUNTS:
            err("unknown type %r (%d items)" % (t, c))
    for t, c in EXPECTED_COUNTS.items():
        if counts.get(t, 0) != c:
            err("type %s: expected %d, found %d" % (t, c, counts.get(t, 0)))

    # types must not be grouped: no run of 6+ identical consecutive types
    run_t, run_len = None, 0
    for _, o in items:
        if o["type"] == run_t:
            run_len += 1
            if run_len == 6:
                err("types look grouped: 6+ consecutive %r ending at %s" % (run_t, o["id"]))
        else:
            run_t, run_len = o["type"], 1

    seen_questions = set()
    for n, o in items:
        qid = o["id"]
        q, hist, gold, kps, typ = o["question"], o["history"], o["gold_titles"], o["keypoints"], o["type"]
        where = "%s (line %d)" % (qid, n)
        if not isinstance(q, str) or not q.strip():
            err("%s: empty question" % where)
        elif q.strip().lower() in seen_questions:
            err("%s: duplicate question text" % where)
        else:
            seen_questions.add(q.strip().lower())
        if not isinstance(hist, list) or not isinstance(gold, list) or not isinstance(kps, list):
            err("%s: history, gold_titles and keypoints must be lists" % where)
            continue

        # history
        if typ == "follow_up":
            if not (1 <= len(hist) <= 2):
                err("%s: follow_up needs 1-2 history turns, has %d" % (where, len(hist)))
            for turn in hist:
                if not (isinstance(turn, list) and len(turn) == 2
                        and all(isinstance(s, str) and s.strip() for s in turn)):
                    err("%s: history turn must be [question, answer] strings: %r" % (where, turn))
        elif hist:
            err("%s: history must be [] for type %s" % (where, typ))

        # unanswerable
        if typ == "unanswerable":
            if gold:
                err("%s: unanswerable must have gold_titles []" % where)
            if kps:
                err("%s: unanswerable must have keypoints []" % where)
            continue

        # answerable: gold titles
        if not gold:
            err("%s: answerable question without gold_titles" % where)
        if len(set(gold)) != len(gold):
            err("%s: duplicate gold titles" % where)
        for g in gold:
            if g not in papers:
                err("%s: gold title not in corpus: %r" % (where, g))
        if typ == "comparison" and len(gold) != 2:
            err("%s: comparison needs exactly 2 gold papers, has %d" % (where, len(gold)))
        if typ == "list" and not (2 <= len(gold) <= 4):
            err("%s: list needs 2-4 gold papers, has %d" % (where, len(gold)))
        if typ in ("single_fact", "which_paper", "summary", "follow_up") and len(gold) != 1:
            err("%s: %s should have exactly 1 gold paper, has %d" % (where, typ, len(gold)))

        # keypoints
        if not (1 <= len(kps) <= 3):
            err("%s: answerable needs 1-3 keypoints, has %d" % (where, len(kps)))
        gold_abs = [lower_abs[g] for g in gold if g in lower_abs]
        for kp in kps:
            if not isinstance(kp, list) or not kp:
                err("%s: keypoint must be a non-empty list of alternatives: %r" % (where, kp))
                continue
            for alt in kp:
                if not isinstance(alt, str) or not alt.strip():
                    err("%s: empty keypoint alternative" % where)
                    continue
                nwords = len(re.findall(r"\S+", alt))
                if not (1 <= nwords <= 6):
                    err("%s: keypoint alternative %r has %d words (want 1-6)" % (where, alt, nwords))
                if not any(alt.lower() in a for a in gold_abs):
                    err("%s: keypoint alternative %r not found verbatim in any gold abstract" % (where, alt))

    if errors:
        for e in errors:
            print("FAIL:", e)
        print("%d problem(s) found" % len(errors))
        return 1
    print("counts:", ", ".join("%s=%d" % (t, counts.get(t, 0)) for t in EXPECTED_COUNTS))
    print("ALL CHECKS PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
