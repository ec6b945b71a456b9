#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Standard-library-only validator for the volcano_sport_ship_skin evaluation collection.

Checks papers.jsonl, questions.jsonl, qmeta.json and SOURCES.md.
Prints OK, or lists the errors and exits with status 1.
"""
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))

# Standard English stopword list (NLTK 'english' list, 179 words).
STOPWORDS = set("""
i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves
he him his himself she she's her hers herself it it's its itself they them their theirs themselves
what which who whom this that that'll these those am is are was were be been being have has had
having do does did doing a an the and but if or because as until while of at by for with about
against between into through during before after above below to from up down in out on off over
under again further then once here there when where why how all any both each few more most other
some such no nor not only own same so than too very s t can will just don don't should should've
now d ll m o re ve y ain aren aren't couldn couldn't didn didn't doesn doesn't hadn hadn't hasn
hasn't haven haven't isn isn't ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn
shouldn't wasn wasn't weren weren't won won't wouldn wouldn't
""".split())

PAPER_KEYS = {"title", "abstract", "authors", "year", "venue", "doi"}
Q_KEYS = {"id", "type", "question", "history", "gold_titles", "keypoints", "notes"}
TYPE_COUNTS = {"single_fact": 10, "which_paper": 5, "multi_paper": 4, "summary": 4,
               "follow_up": 4, "comparison": 3, "unanswerable": 20}
ANSWERABLE_LABELS = {"paraphrased": 15, "terse": 10, "plain": 5}
UNANSWERABLE_LABELS = {"near_miss": 9, "general_knowledge": 6, "absent_topic": 5}

errors = []


def err(msg):
    errors.append(msg)


def tokens(text):
    # words = runs of letters/digits (Unicode aware); apostrophes split words ("zealand's" -> zealand, s)
    return re.findall(r"[^\W_]+", text.lower())


def content_words(text):
    return [w for w in tokens(text) if w not in STOPWORDS]


def trigrams(words):
    return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}


def load_jsonl(name):
    path = os.path.join(HERE, name)
    out = []
    if not os.path.exists(path):
        err("%s missing" % name)
        return out
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                err("%s line %d is blank" % (name, n))
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                err("%s line %d: bad JSON (%s)" % (name, n, e))
    return out


# ---------------- papers ----------------
papers = load_jsonl("papers.jsonl")
if len(papers) != 48:
    err("papers.jsonl has %d papers, expected 48" % len(papers))
abstracts = {}
for i, p in enumerate(papers, 1):
    if not isinstance(p, dict):
        err("paper %d is not an object" % i)
        continue
    if set(p.keys()) != PAPER_KEYS:
        err("paper %d keys %s != %s" % (i, sorted(p.keys()), sorted(PAPER_KEYS)))
        continue
    if not isinstance(p["title"], str) or not p["title"].strip():
        err("paper %d: title must be a non-empty string" % i)
        continue
    if not isinstance(p["abstract"], str):
        err("paper %d: abstract must be a string" % i)
        continue
    if not isinstance(p["authors"], list) or not all(isinstance(a, str) for a in p["authors"]):
        err("paper %d: authors must be a list of strings" % i)
    if not (p["year"] is None or (isinstance(p["year"], int) and not isinstance(p["year"], bool))):
        err("paper %d: year must be int or null" % i)
    if not isinstance(p["venue"], str):
        err("paper %d: venue must be a string" % i)
    if not isinstance(p["doi"], str):
        err("paper %d: doi must be a string" % i)
    if p["title"] != p["title"].strip() or "  " in p["title"]:
        err("paper %d: title has un-normalised whitespace" % i)
    if re.search(r"\s{2,}|\n", p["abstract"]) or p["abstract"] != p["abstract"].strip():
        err("paper %d: abstract has un-normalised whitespace" % i)
    nwords = len(p["abstract"].split())
    if nwords < 70:
        err("paper %d (%s): abstract has %d words (< 70)" % (i, p["title"][:50], nwords))
    if p["title"] in abstracts:
        err("duplicate title: %s" % p["title"])
    abstracts[p["title"]] = p["abstract"]
lower_titles = Counter(t.lower() for t in abstracts)
for t, c in lower_titles.items():
    if c > 1:
        err("duplicate title (case-insensitive): %s" % t)

# ---------------- questions ----------------
questions = load_jsonl("questions.jsonl")
if len(questions) != 50:
    err("questions.jsonl has %d questions, expected 50" % len(questions))
expected_ids = ["e%03d" % i for i in range(1, 51)]
ids = [q.get("id") for q in questions if isinstance(q, dict)]
if ids != expected_ids:
    if sorted(ids, key=str) != expected_ids:
        err("question ids are not exactly e001..e050 (got %d ids, %d unique)" % (len(ids), len(set(ids))))
    else:
        err("question ids are not in order e001..e050")

type_counter = Counter()
qtypes = {}
for q in questions:
    if not isinstance(q, dict):
        err("a question line is not an object")
        continue
    qid = q.get("id", "?")
    if set(q.keys()) != Q_KEYS:
        err("%s: keys %s != %s" % (qid, sorted(q.keys()), sorted(Q_KEYS)))
        continue
    t = q["type"]
    qtypes[qid] = t
    type_counter[t] += 1
    if t not in TYPE_COUNTS:
        err("%s: unknown type %r" % (qid, t))
        continue
    if not isinstance(q["question"], str) or not q["question"].strip():
        err("%s: question must be a non-empty string" % qid)
    if not isinstance(q["notes"], str) or not q["notes"].strip():
        err("%s: notes must be a non-empty string" % qid)
    # history
    h = q["history"]
    if not isinstance(h, list):
        err("%s: history must be a list" % qid)
    elif t == "follow_up":
        if not h:
            err("%s: follow_up needs non-empty history" % qid)
        for pair in h:
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) and x.strip() for x in pair)):
                err("%s: history entries must be [question, answer] string pairs" % qid)
    elif h:
        err("%s: history must be [] for type %s" % (qid, t))
    # gold titles
    g = q["gold_titles"]
    if not isinstance(g, list) or not all(isinstance(x, str) for x in g):
        err("%s: gold_titles must be a list of strings" % qid)
        continue
    for title in g:
        if title not in abstracts:
            err("%s: gold title not in papers.jsonl: %s" % (qid, title))
    if len(set(g)) != len(g):
        err("%s: duplicate gold titles" % qid)
    if t in ("single_fact", "which_paper", "summary", "follow_up") and len(g) != 1:
        err("%s: %s needs exactly 1 gold title (got %d)" % (qid, t, len(g)))
    if t == "comparison" and len(g) != 2:
        err("%s: comparison needs exactly 2 gold titles (got %d)" % (qid, len(g)))
    if t == "multi_paper" and len(g) < 2:
        err("%s: multi_paper needs at least 2 gold titles" % qid)
    if t == "unanswerable" and g:
        err("%s: unanswerable must have no gold titles" % qid)
    # keypoints
    kp = q["keypoints"]
    if not isinstance(kp, list):
        err("%s: keypoints must be a list" % qid)
        continue
    if t == "unanswerable":
        if kp:
            err("%s: unanswerable must have no keypoints" % qid)
        continue
    if not kp:
        err("%s: answerable question needs keypoints" % qid)
    gold_text = [abstracts[x].lower() for x in g if x in abstracts]
    for k in kp:
        if not (isinstance(k, list) and k and all(isinstance(a, str) and a.strip() for a in k)):
            err("%s: each keypoint must be a non-empty list of non-empty strings" % qid)
            continue
        for alt in k:
            if not any(alt.lower() in a for a in gold_text):
                err("%s: keypoint alternative not found verbatim in a gold abstract: %r" % (qid, alt))

for t, n in TYPE_COUNTS.items():
    if type_counter[t] != n:
        err("type %s: %d questions, expected %d" % (t, type_counter[t], n))

# types must be shuffled, not grouped: no run of more than 3 identical consecutive types
seq = [qtypes.get(i) for i in expected_ids]
run = 1
for a, b in zip(seq, seq[1:]):
    run = run + 1 if a == b else 1
    if run > 3:
        err("question types look grouped (run of >3 consecutive '%s')" % a)
        break

# ---------------- qmeta ----------------
qmeta_path = os.path.join(HERE, "qmeta.json")
qmeta = {}
if not os.path.exists(qmeta_path):
    err("qmeta.json missing")
else:
    try:
        with open(qmeta_path, encoding="utf-8") as f:
            qmeta = json.load(f)
    except json.JSONDecodeError as e:
        err("qmeta.json: bad JSON (%s)" % e)
if not isinstance(qmeta, dict):
    err("qmeta.json must be an object")
    qmeta = {}
if sorted(qmeta.keys()) != expected_ids:
    err("qmeta.json keys are not exactly e001..e050")
label_counter = Counter(qmeta.values())
for lab, n in list(ANSWERABLE_LABELS.items()) + list(UNANSWERABLE_LABELS.items()):
    if label_counter[lab] != n:
        err("qmeta label %s: %d, expected %d" % (lab, label_counter[lab], n))
for qid, lab in qmeta.items():
    if lab not in ANSWERABLE_LABELS and lab not in UNANSWERABLE_LABELS:
        err("%s: unknown qmeta label %r" % (qid, lab))
        continue
    t = qtypes.get(qid)
    if t is None:
        continue
    if t == "unanswerable" and lab not in UNANSWERABLE_LABELS:
        err("%s: unanswerable question has answerable label %r" % (qid, lab))
    if t != "unanswerable" and lab not in ANSWERABLE_LABELS:
        err("%s: answerable question has unanswerable label %r" % (qid, lab))

# absent-topic: at least two "Which paper/study in the collection ..." questions
qtext = {q["id"]: q["question"] for q in questions if isinstance(q, dict) and "id" in q and "question" in q}
which_absent = [qid for qid, lab in qmeta.items() if lab == "absent_topic"
                and re.match(r"\s*which (paper|study|article)s? in the collection", qtext.get(qid, ""), re.I)]
if len(which_absent) < 2:
    err("need at least two absent_topic questions phrased 'Which paper/study in the collection ...'")

# paraphrased questions: no shared content-word trigram with any gold abstract
qgold = {q["id"]: q["gold_titles"] for q in questions if isinstance(q, dict) and isinstance(q.get("gold_titles"), list)}
for qid, lab in qmeta.items():
    if lab != "paraphrased" or qid not in qtext:
        continue
    qtri = trigrams(content_words(qtext[qid]))
    for title in qgold.get(qid, []):
        if title not in abstracts:
            continue
        shared = qtri & trigrams(content_words(abstracts[title]))
        if shared:
            err("%s: paraphrased question shares content-word trigram(s) with '%s': %s"
                % (qid, title[:50], sorted(" ".join(x) for x in shared)))

# ---------------- SOURCES.md ----------------
src_path = os.path.join(HERE, "SOURCES.md")
if not os.path.exists(src_path):
    err("SOURCES.md missing")
else:
    with open(src_path, encoding="utf-8") as f:
        src = f.read()
    for title in abstracts:
        if title not in src:
            err("SOURCES.md does not list: %s" % title)
    if len(re.findall(r"https?://", src)) < 48:
        err("SOURCES.md lists fewer than 48 URLs")

if errors:
    print("ERRORS (%d):" % len(errors))
    for e in errors:
        print(" - " + e)
    sys.exit(1)
print("OK")
