#!/usr/bin/env python3
"""Standalone checker for eval/paraphrase_questions.jsonl (standard library only).

It parses the bundled corpus itself (shared/corpus/*.txt: 2 header lines, then
title/abstract line pairs; "Subscribe" glued to the first title; the pages
overlap) and verifies, for every question in the paraphrase set:

* schema: keys exactly id, type, question, history, gold_titles, keypoints (in
  that order) with the right value types; ids p001, p002, ... in order, unique;
* type counts meet the required minimums and the total is >= 130;
* every gold title exists exactly in the corpus; no paper is gold for more than
  two questions; answerable types have 1 gold title (multi_paper: 2-5);
* keypoints: 1-3 per answerable question, each a non-empty list of short
  alternatives (<= 4 words), every alternative occurring verbatim
  (case-insensitive) in a gold abstract or title; unanswerable questions have
  empty gold_titles and keypoints;
* history: follow_up has exactly one [question, answer] turn whose answer names
  the gold title; single_fact/acronym may carry one unrelated turn (about a
  different paper); all other questions have empty history;
* THE PARAPHRASE RULE: no answerable question (and no earlier question in a
  follow_up history) shares a run of 3 consecutive content words with any of
  its gold papers' title + abstract. Content words are the lower-cased
  alphanumeric tokens that are not stopwords, with a light plural/possessive
  normalisation; hyphenated words are checked both split ("pre training") and
  joined ("pretraining"), so that spelling variants cannot hide a shared run.
  Acronym questions may name the acronym itself, but no other content word of
  the question may occur in the gold title/abstract.

Usage: python eval/paraphrase_check.py [questions.jsonl] [corpus_dir]
Exit status 0 when clean, 1 otherwise (every problem is printed).
"""

import glob
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_QUESTIONS = os.path.join(HERE, "paraphrase_questions.jsonl")


def default_corpus_dir():
    candidates = [
        os.path.join(HERE, "..", "..", "shared", "corpus"),
        os.path.join(HERE, "..", "shared", "corpus"),
        "/work/shared/corpus",
    ]
    for c in candidates:
        if glob.glob(os.path.join(c, "*.txt")):
            return os.path.normpath(c)
    return candidates[-1]


KEYS = ["id", "type", "question", "history", "gold_titles", "keypoints"]
MIN_COUNTS = {
    "single_fact": 30,
    "which_paper": 20,
    "multi_paper": 10,
    "acronym": 8,
    "summary": 8,
    "follow_up": 12,
    "unanswerable": 34,
}
MIN_TOTAL = 130
MAX_GOLD_USES = 2
MAX_KEYPOINT_WORDS = 4

STOPWORDS = set(
    """
a about above after again against all am an and any are aren arent as at be
because been before being below between both but by can cannot could couldn
did didn do does doesn doing don down during each few for from further had
hadn has hasn have haven having he her here hers herself him himself his how
i if in into is isn it its itself just ll me more most mustn my myself no nor
not now o of off on once only or other our ours ourselves out over own re s
same shan she should shouldn so some such t than that the their theirs them
themselves then there these they this those through to too under until up ve
very was wasn we were weren what when where which while who whom why will
with won would wouldn y you your yours yourself yourselves d m ma
also e g eg ie i.e etc via vs versus per whose whether within without upon
onto among amongst across along around toward towards thus hence yet still
even though although however may might must shall us one's one ones
""".split()
)

# Words an acronym question may use besides the acronym itself.
ACRONYM_FRAME_WORDS = set()


def load_corpus(corpus_dir):
    papers = {}
    files = sorted(glob.glob(os.path.join(corpus_dir, "*.txt")))
    if not files:
        raise SystemExit("no corpus files found in %s" % corpus_dir)
    for path in files:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        body = lines[2:]
        while body and body[-1].strip() == "":
            body.pop()
        for i in range(0, len(body) - 1, 2):
            title = body[i].strip()
            if i == 0 and title.startswith("Subscribe"):
                title = title[len("Subscribe"):].strip()
            abstract = body[i + 1].strip()
            if title in papers and papers[title] != abstract:
                print("WARNING: duplicate title with different abstract: %r" % title)
            papers.setdefault(title, abstract)
    return papers


def _norm(tok):
    if tok.endswith("'s"):
        tok = tok[:-2]
    if len(tok) > 3 and tok.endswith("s") and not tok.endswith("ss"):
        tok = tok[:-1]
    return tok


def content_tokens(text, join_hyphens):
    text = text.lower().replace("\u2019", "'")
    if join_hyphens:
        text = re.sub(r"(?<=[a-z0-9])-(?=[a-z0-9])", "", text)
    raw = re.findall(r"[a-z0-9]+(?:'s)?", text)
    out = []
    for t in raw:
        t = _norm(t)
        if t in STOPWORDS or t.replace("'s", "") in STOPWORDS:
            continue
        out.append(t)
    return out


def ngrams(tokens, n=3):
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def all_ngrams(text, n=3, mask=None):
    grams = set()
    for join in (False, True):
        toks = content_tokens(text, join)
        if mask:
            # a masked token breaks runs: split the sequence at it
            seg = []
            for t in toks + [None]:
                if t is None or t in mask:
                    grams |= ngrams(seg, n)
                    seg = []
                else:
                    seg.append(t)
        else:
            grams |= ngrams(toks, n)
    return grams


def acronym_tokens(question):
    """Tokens of the question that look like an acronym/name (inner capitals,
    digits mixed with letters, or all caps of length >= 2)."""
    toks = set()
    for word in re.findall(r"[A-Za-z0-9][A-Za-z0-9\-'^$]*", question):
        w = word.strip("'")
        if w.endswith("'s"):
            w = w[:-2]
        core = re.sub(r"[^A-Za-z0-9]", "", w)
        if len(core) < 2:
            continue
        inner_caps = any(c.isupper() for c in core[1:])
        if inner_caps or (core.isupper() and len(core) >= 2):
            for join in (False, True):
                for t in content_tokens(w, join):
                    toks.add(t)
    return toks


def main():
    qpath = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_QUESTIONS
    cdir = sys.argv[2] if len(sys.argv) > 2 else default_corpus_dir()
    papers = load_corpus(cdir)
    errors = []

    def err(qid, msg):
        errors.append("%s: %s" % (qid, msg))

    print("corpus: %s (%d distinct papers)" % (cdir, len(papers)))
    if len(papers) != 282:
        err("corpus", "expected 282 distinct papers, parsed %d" % len(papers))

    lower_text = {t: (t + "\n" + a).lower() for t, a in papers.items()}
    gram_cache = {}

    def paper_grams(title):
        if title not in gram_cache:
            gram_cache[title] = all_ngrams(title + " . " + papers[title])
        return gram_cache[title]

    def paper_words(title):
        words = set()
        for join in (False, True):
            words |= set(content_tokens(title + " " + papers[title], join))
        return words

    questions = []
    with open(qpath, encoding="utf-8") as fh:
        for ln, line in enumerate(fh, 1):
            if not line.strip():
                err("line %d" % ln, "blank line")
                continue
            try:
                obj = json.loads(line, object_pairs_hook=lambda p: p)
            except ValueError as e:
                err("line %d" % ln, "invalid JSON: %s" % e)
                continue
            keys = [k for k, _ in obj]
            if keys != KEYS:
                err("line %d" % ln, "keys/order %r != %r" % (keys, KEYS))
            questions.append(dict(obj))

    counts = Counter()
    gold_uses = Counter()
    seen_ids = set()
    for idx, q in enumerate(questions, 1):
        qid = q.get("id", "line %d" % idx)
        expected = "p%03d" % idx
        if qid != expected:
            err(qid, "id out of order, expected %s" % expected)
        if qid in seen_ids:
            err(qid, "duplicate id")
        seen_ids.add(qid)
        qtype = q.get("type")
        text = q.get("question")
        history = q.get("history")
        gold = q.get("gold_titles")
        kps = q.get("keypoints")
        if qtype not in MIN_COUNTS:
            err(qid, "unknown type %r" % qtype)
            continue
        counts[qtype] += 1
        if not isinstance(text, str) or not text.strip():
            err(qid, "question must be a non-empty string")
            continue
        if not isinstance(history, list):
            err(qid, "history must be a list")
            history = []
        for turn in history:
            if not (isinstance(turn, list) and len(turn) == 2
                    and all(isinstance(x, str) and x.strip() for x in turn)):
                err(qid, "history turn must be [question, answer] strings")
        if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
            err(qid, "gold_titles must be a list of strings")
            gold = []
        if not isinstance(kps, list):
            err(qid, "keypoints must be a list")
            kps = []

        if qtype == "unanswerable":
            if gold or kps:
                err(qid, "unanswerable must have empty gold_titles and keypoints")
            if history:
                err(qid, "unanswerable questions here carry no history")
            continue

        # ---- answerable ----
        if len(set(gold)) != len(gold):
            err(qid, "duplicate gold titles")
        if qtype == "multi_paper":
            if not 2 <= len(gold) <= 5:
                err(qid, "multi_paper needs 2-5 gold titles, has %d" % len(gold))
        elif len(gold) != 1:
            err(qid, "%s needs exactly 1 gold title, has %d" % (qtype, len(gold)))
        missing = [g for g in gold if g not in papers]
        for g in missing:
            err(qid, "gold title not in corpus: %r" % g)
        gold = [g for g in gold if g in papers]
        for g in gold:
            gold_uses[g] += 1

        if not 1 <= len(kps) <= 3:
            err(qid, "needs 1-3 keypoints, has %d" % len(kps))
        for kp in kps:
            if not isinstance(kp, list) or not kp:
                err(qid, "keypoint must be a non-empty list of alternatives")
                continue
            for alt in kp:
                if not isinstance(alt, str) or not alt.strip():
                    err(qid, "keypoint alternative must be a non-empty string")
                    continue
                if len(alt.split()) > MAX_KEYPOINT_WORDS:
                    err(qid, "keypoint alternative too long: %r" % alt)
                if not any(alt.lower() in lower_text[g] for g in gold):
                    err(qid, "keypoint %r not found verbatim in a gold title/abstract" % alt)

        # history rules
        if qtype == "follow_up":
            if len(history) != 1:
                err(qid, "follow_up needs exactly one history turn")
            elif gold and not any(g.lower() in history[0][1].lower() for g in gold):
                err(qid, "follow_up history answer should name the gold paper")
        elif qtype in ("single_fact", "acronym"):
            if len(history) > 1:
                err(qid, "at most one (unrelated) history turn")
            elif history:
                named = [t for t in papers if t.lower() in history[0][1].lower()]
                if not named:
                    err(qid, "unrelated history answer should name its paper")
                if any(g in named for g in gold):
                    err(qid, "history turn must be about a different paper")
        elif history:
            err(qid, "%s questions carry no history" % qtype)

        # ---- the paraphrase rule ----
        texts = [("question", text)]
        if qtype == "follow_up" and history:
            texts.append(("history question", history[0][0]))
        for label, t in texts:
            mask = acronym_tokens(t) if qtype == "acronym" and label == "question" else None
            qgrams = all_ngrams(t, mask=mask)
            for g in gold:
                shared = qgrams & paper_grams(g)
                if shared:
                    err(qid, "%s shares content-word run(s) %s with %r" % (
                        label, sorted(" ".join(s) for s in shared), g[:60]))
            if qtype == "acronym" and label == "question":
                words = set()
                for join in (False, True):
                    words |= set(content_tokens(t, join))
                words -= mask
                for g in gold:
                    overlap = sorted(words & paper_words(g))
                    if overlap:
                        err(qid, "acronym question uses abstract word(s) %s besides the acronym" % overlap)

    for g, n in gold_uses.items():
        if n > MAX_GOLD_USES:
            err("gold", "paper used %d times (max %d): %r" % (n, MAX_GOLD_USES, g))
    for t, m in MIN_COUNTS.items():
        if counts[t] < m:
            err("counts", "%s has %d, needs >= %d" % (t, counts[t], m))
    if len(questions) < MIN_TOTAL:
        err("counts", "total %d < %d" % (len(questions), MIN_TOTAL))

    print("questions: %d" % len(questions))
    for t in MIN_COUNTS:
        print("  %-13s %3d (min %d)" % (t, counts[t], MIN_COUNTS[t]))
    print("distinct gold papers: %d" % len(gold_uses))
    if errors:
        print("\n%d problem(s):" % len(errors))
        for e in errors:
            print("  " + e)
        return 1
    print("OK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
