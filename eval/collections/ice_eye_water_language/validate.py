#!/usr/bin/env python3
"""Validate the evaluation collection in this folder (standard library only).

Run from this folder:  python validate.py
Exit code 0 when every check passes, 1 otherwise (messages on stdout).
"""
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))

TYPE_COUNTS = {
    "single_fact": 10, "which_paper": 5, "multi_paper": 4, "summary": 4,
    "follow_up": 4, "comparison": 3, "unanswerable": 20,
}
UNANSWERABLE_SUB = {"near_miss": 9, "general_knowledge": 6, "absent_topic": 5}
ANSWERABLE_SUB = {"paraphrased": 15, "terse": 10, "plain": 5}
REQUIRED_KEYS = {"id", "type", "question", "history", "gold_titles", "keypoints", "notes"}

STOP_WORDS = set("""
a about above after again against all am an and any are aren't as at be because been before being below
between both but by can cannot could couldn't did didn't do does doesn't doing don't down during each few for
from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself
his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my myself no
nor not of off on once only or other ought our ours ourselves out over own same shan't she she'd she'll she's
should shouldn't so some such than that that's the their theirs them themselves then there there's these they
they'd they'll they're they've this those through to too under until up very was wasn't we we'd we'll we're we've
were weren't what what's when when's where where's which while who who's whom why why's with won't would
wouldn't you you'd you'll you're you've your yours yourself yourselves also per via among across within without
whether s t d ll m re ve
""".split())

errors = []


def err(msg):
    errors.append(msg)


def norm_ws(s):
    return re.sub(r"\s+", " ", s).strip()


def content_tokens(text):
    toks = re.findall(r"[a-z0-9]+", text.lower())
    return [t for t in toks if t not in STOP_WORDS and len(t) > 1]


def trigrams(tokens):
    return {tuple(tokens[i:i + 3]) for i in range(len(tokens) - 2)}


def load_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                err(f"{os.path.basename(path)} line {n}: invalid JSON ({e})")
    return rows


def main():
    papers_path = os.path.join(HERE, "papers.jsonl")
    questions_path = os.path.join(HERE, "questions.jsonl")
    qmeta_path = os.path.join(HERE, "qmeta.json")
    for p in (papers_path, questions_path, qmeta_path, os.path.join(HERE, "SOURCES.md")):
        if not os.path.exists(p):
            err(f"missing file: {os.path.basename(p)}")
    if errors:
        return finish()

    # ---- papers ----
    papers = load_jsonl(papers_path)
    if len(papers) != 48:
        err(f"papers.jsonl: expected 48 papers, found {len(papers)}")
    abstracts = {}
    for i, p in enumerate(papers, 1):
        for k in ("title", "abstract", "authors", "year", "venue", "doi"):
            if k not in p:
                err(f"paper {i}: missing key '{k}'")
        t = p.get("title", "")
        a = p.get("abstract", "")
        if not isinstance(t, str) or not t.strip():
            err(f"paper {i}: empty title")
            continue
        if t in abstracts:
            err(f"paper {i}: duplicate title '{t}'")
        if not isinstance(a, str) or len(a.strip()) < 400:
            err(f"paper '{t}': abstract missing or shorter than 400 characters")
        if not isinstance(p.get("authors", []), list):
            err(f"paper '{t}': authors must be a list")
        if p.get("year") is not None and not isinstance(p.get("year"), int):
            err(f"paper '{t}': year must be int or null")
        for k in ("venue", "doi"):
            if not isinstance(p.get(k, ""), str):
                err(f"paper '{t}': {k} must be a string")
        abstracts[t] = norm_ws(a if isinstance(a, str) else "")
    if len(abstracts) != 48:
        err(f"papers.jsonl: expected 48 unique titles, found {len(abstracts)}")

    # ---- questions ----
    questions = load_jsonl(questions_path)
    if len(questions) != 50:
        err(f"questions.jsonl: expected 50 questions, found {len(questions)}")
    ids = [q.get("id") for q in questions]
    dup = [i for i, c in Counter(ids).items() if c > 1]
    if dup:
        err(f"duplicate question ids: {dup}")
    expected_ids = {f"j{n:03d}" for n in range(1, 51)}
    if set(ids) != expected_ids:
        err(f"question ids must be exactly j001..j050; missing {sorted(expected_ids - set(ids))}, "
            f"unexpected {sorted(set(ids) - expected_ids, key=str)}")

    type_counter = Counter(q.get("type") for q in questions)
    for t, n in TYPE_COUNTS.items():
        if type_counter.get(t, 0) != n:
            err(f"type '{t}': expected {n}, found {type_counter.get(t, 0)}")
    for t in type_counter:
        if t not in TYPE_COUNTS:
            err(f"unknown question type '{t}'")

    # ---- qmeta ----
    try:
        with open(qmeta_path, encoding="utf-8") as f:
            qmeta = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        err(f"qmeta.json unreadable: {e}")
        qmeta = {}
    if not isinstance(qmeta, dict):
        err("qmeta.json must be an object")
        qmeta = {}
    missing_meta = [i for i in ids if i not in qmeta]
    if missing_meta:
        err(f"qmeta.json missing ids: {missing_meta}")
    extra_meta = [k for k in qmeta if k not in set(ids)]
    if extra_meta:
        err(f"qmeta.json has ids not in questions.jsonl: {extra_meta}")

    sub_counter = Counter()
    for q in questions:
        qid = q.get("id", "?")
        missing = REQUIRED_KEYS - set(q)
        if missing:
            err(f"{qid}: missing keys {sorted(missing)}")
            continue
        qtype = q["type"]
        sub = qmeta.get(qid)
        sub_counter[sub] += 1
        if not isinstance(q["question"], str) or not q["question"].strip():
            err(f"{qid}: empty question")
        if not isinstance(q["history"], list):
            err(f"{qid}: history must be a list")
        if not isinstance(q["gold_titles"], list) or not isinstance(q["keypoints"], list):
            err(f"{qid}: gold_titles and keypoints must be lists")
            continue
        if not isinstance(q["notes"], str) or not q["notes"].strip():
            err(f"{qid}: notes must be a non-empty string")

        # history rules
        if qtype == "follow_up":
            if not q["history"]:
                err(f"{qid}: follow_up question needs a non-empty history")
            for h in q["history"]:
                if not (isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) and x.strip() for x in h)):
                    err(f"{qid}: each history item must be [user_question, assistant_answer]")
        elif q["history"]:
            err(f"{qid}: only follow_up questions may have a history")

        if qtype == "unanswerable":
            if q["gold_titles"] or q["keypoints"]:
                err(f"{qid}: unanswerable question must have empty gold_titles and keypoints")
            if sub not in UNANSWERABLE_SUB:
                err(f"{qid}: unanswerable sub-type must be one of {sorted(UNANSWERABLE_SUB)}, got {sub!r}")
            continue

        # answerable
        if sub not in ANSWERABLE_SUB:
            err(f"{qid}: answerable sub-type must be one of {sorted(ANSWERABLE_SUB)}, got {sub!r}")
        gold = q["gold_titles"]
        if not gold:
            err(f"{qid}: answerable question needs gold_titles")
        for t in gold:
            if t not in abstracts:
                err(f"{qid}: gold title not in papers.jsonl: '{t}'")
        if len(set(gold)) != len(gold):
            err(f"{qid}: duplicate gold titles")
        if qtype == "multi_paper" and not 2 <= len(gold) <= 3:
            err(f"{qid}: multi_paper needs 2-3 gold papers, has {len(gold)}")
        if qtype == "comparison" and len(gold) != 2:
            err(f"{qid}: comparison needs exactly 2 gold papers, has {len(gold)}")
        if qtype in ("single_fact", "which_paper", "summary", "follow_up") and len(gold) < 1:
            err(f"{qid}: needs at least one gold paper")
        kps = q["keypoints"]
        if not 1 <= len(kps) <= 3:
            err(f"{qid}: needs 1-3 keypoints, has {len(kps)}")
        gold_abs = [abstracts[t].lower() for t in gold if t in abstracts]
        for kp in kps:
            if not isinstance(kp, list) or not kp:
                err(f"{qid}: each keypoint must be a non-empty list of alternative strings")
                continue
            for alt in kp:
                if not isinstance(alt, str) or not alt.strip():
                    err(f"{qid}: empty keypoint string")
                    continue
                needle = norm_ws(alt).lower()
                if not any(needle in a for a in gold_abs):
                    err(f"{qid}: keypoint not found verbatim in any gold abstract: '{alt}'")

        if sub == "paraphrased":
            qgrams = trigrams(content_tokens(q["question"]))
            for t in gold:
                if t not in abstracts:
                    continue
                shared = qgrams & trigrams(content_tokens(abstracts[t]))
                if shared:
                    runs = ", ".join(" ".join(g) for g in sorted(shared))
                    err(f"{qid}: paraphrased question shares 3-word content runs with '{t[:60]}': {runs}")

    for s, n in {**UNANSWERABLE_SUB, **ANSWERABLE_SUB}.items():
        if sub_counter.get(s, 0) != n:
            err(f"qmeta sub-type '{s}': expected {n}, found {sub_counter.get(s, 0)}")

    # order of types should be shuffled: no run of 5+ identical consecutive types
    ordered = sorted(questions, key=lambda q: q.get("id", ""))
    run, prev = 0, None
    for q in ordered:
        run = run + 1 if q.get("type") == prev else 1
        prev = q.get("type")
        if run >= 5:
            err(f"question types look grouped: 5+ consecutive '{prev}' ending at {q.get('id')}")
            break

    return finish(len(papers), len(questions), type_counter, sub_counter)


def finish(n_papers=None, n_questions=None, type_counter=None, sub_counter=None):
    if errors:
        print(f"FAILED with {len(errors)} problem(s):")
        for e in errors:
            print("  -", e)
        return 1
    print(f"OK: {n_papers} papers (48 unique titles, abstracts >= 400 chars), {n_questions} questions")
    print("types:", ", ".join(f"{k}={type_counter[k]}" for k in TYPE_COUNTS))
    print("sub-types:", ", ".join(f"{k}={sub_counter[k]}" for k in list(ANSWERABLE_SUB) + list(UNANSWERABLE_SUB)))
    print("all gold titles exist; all keypoints verbatim in gold abstracts; paraphrased questions share no 3-word content runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
