"""Follow-up handling: turn a question plus history into a standalone retrieval query.

Cheap by design (no model call, microseconds): a follow-up that leans on the
conversation ("what datasets did it use?") gets the titles named in the previous
answer, or else the previous question, appended to its query.

>>> standalone_query("What datasets did they use?", [("What is R2-Tuning?", "R2-Tuning ...")], [])
'What datasets did they use? What is R2-Tuning?'
"""
from __future__ import annotations

import re
from typing import Sequence

from .corpus import normalize_title
from .routing import QuestionKind, classify, is_short, names_its_subject, refers_back

History = Sequence[tuple[str, str]]


def is_follow_up(question: str) -> bool:
    """Whether a question continues the conversation, decided from the question itself: one that
    names its own subject (a name, a quoted title, a request to find papers) is new; one that
    points back ("they", "the method") or is too short to stand alone ("Why?") continues it.

    >>> is_follow_up("What datasets did they use?"), is_follow_up("What is ST-MoE?")
    (True, False)
    >>> is_follow_up("Summarize the Big Transfer paper."), is_follow_up("And the speed?")
    (False, True)
    """
    if names_its_subject(question) and not _pronoun_subject(question):
        return False
    return refers_back(question) or is_short(question)


def _pronoun_subject(question: str) -> bool:
    """A name in a question that is also about "it" ("How does it compare with BiT?") still leans
    on the conversation for "it"."""
    return bool(re.search(r"\b(it|its|they|their|them)\b", question, re.IGNORECASE))


def titles_in(text: str, titles: Sequence[str]) -> list[str]:
    """Known paper titles that appear in a text (normalized substring match), in the order the
    text names them."""
    haystack = normalize_title(text)
    found = [(haystack.find(normalize_title(t)), t) for t in titles if len(t) > 12]
    return [t for at, t in sorted(found) if at >= 0]


_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1, "former": 0, "latter": -1}
# "the second one", "the third paper", "the latter": one of the papers an earlier answer listed
_ORDINAL = re.compile(r"\bthe (former|latter)\b|\b(?:the )?(first|second|third|fourth|fifth|last) "
                      r"(?:one|paper|work|study|method|model|approach|of them)\b", re.IGNORECASE)


def ordinal_title(question: str, history: History, titles: Sequence[str]) -> str | None:
    """The paper "the second one" points at: that place in the latest earlier answer naming two or
    more papers (a list), or None.

    >>> history = [("Any KG models?", "Yes: 'Graph Model Alpha One' and 'Graph Model Beta Two'."),
    ...            ("How many graphs was Alpha tested on?", "57 graphs.")]
    >>> ordinal_title("And the second one: what does it add?", history, ["Graph Model Beta Two",
    ...                                                                    "Graph Model Alpha One"])
    'Graph Model Beta Two'
    >>> ordinal_title("What was the first layer's role?", history, ["Graph Model Alpha One"]) is None
    True
    """
    match = _ORDINAL.search(question)
    if not match:
        return None
    place = _ORDINALS[(match.group(1) or match.group(2)).lower()]
    for _, answer in reversed(history):
        listed = titles_in(answer, titles)
        if len(listed) >= 2:
            return listed[place] if -len(listed) <= place < len(listed) else None
    return None


# the part of an abstention that lists the nearest papers: they were not the answer, so a follow-up
# must not take them for "it"
_NOT_EVIDENCE = re.compile(r"Nearest papers \(not evidence\):.*", re.DOTALL)


def standalone_query(question: str, history: History, titles: Sequence[str]) -> str:
    """The retrieval query for a question in a conversation: a follow-up (``is_follow_up``) gets
    the papers the previous answer named, or else the previous question; a new question is
    left as it is. "The second one" points at a listed paper (``ordinal_title``).
    """
    if not history:
        return question
    pointed = ordinal_title(question, history, titles)
    if pointed:
        return f"{question} {pointed}"
    if not is_follow_up(question):
        return question
    return continued_query(question, history, titles)


def continued_query(question: str, history: History, titles: Sequence[str]) -> str:
    """The question read as continuing the conversation: with the papers the previous answer named
    (not those it listed as "not evidence"), or else the previous question.

    >>> continued_query("Over what window?", [("Did the 20 mph limits cut casualties?", "Yes.")], [])
    'Over what window? Did the 20 mph limits cut casualties?'
    """
    previous_question, previous_answer = history[-1]
    named = titles_in(_NOT_EVIDENCE.sub("", previous_answer), titles)
    context = " ".join(named[:2]) if named else previous_question
    return f"{question} {context}".strip()


def may_continue(question: str) -> bool:
    """Whether a question that does not point back may still continue a conversation: it asks for
    one detail and names no subject of its own ("Which schooling level fared worst?", "Over what
    follow-up window?"). A comparison or a summary has to say what of. Whether it does continue is
    for retrieval and the judge to say (``Assistant.assess``).

    >>> may_continue("Which formation, what stage?"), may_continue("What is ST-MoE?")
    (True, False)
    >>> may_continue("Compare the original cash trial with the later re-analysis of its data.")
    False
    """
    return classify(question) is QuestionKind.FACT and not names_its_subject(question)
