"""Follow-up handling: turn a question plus history into a standalone retrieval query.

Cheap by design (no model call, microseconds): a follow-up that leans on the
conversation ("what datasets did it use?") gets the titles named in the previous
answer, or else the previous question, appended to its query.

>>> standalone_query("What datasets did they use?", [("What is R2-Tuning?", "R2-Tuning ...")], [])
'What datasets did they use? What is R2-Tuning?'
"""
from __future__ import annotations

import re
from typing import Callable, Sequence

from .corpus import normalize_title
from .terms import content_words

History = Sequence[tuple[str, str]]

_ANAPHORA = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|he|she|the (paper|method|model|approach|work|authors?|"
    r"study|technique|framework|system|dataset|benchmark|results?)|same|above|previous|earlier|former|latter)\b",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    """A question that refers back to the conversation or is too short to stand alone."""
    return bool(_ANAPHORA.search(question)) or len(content_words(question)) < 3


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


SELF_CONTAINED_SIMILARITY = 0.5  # a question retrieving this well on its own needs no context
OFF_TOPIC_SIMILARITY = 0.3  # ...and one this far from every paper is a new, off-topic question


def standalone_query(question: str, history: History, titles: Sequence[str],
                     similarity: Callable[[str], float] | None = None) -> str:
    """The retrieval query for a question in a conversation.

    Context is added when the question refers back ("it", "the method"...) or, given a
    ``similarity`` probe (best retrieval similarity of a query), when the question alone
    matches the collection only weakly ("How big was the improvement in the few-shot setting?") but
    not so weakly that it is a new, off-topic question ("What is a good chocolate cake recipe?").
    """
    if not history:
        return question
    pointed = ordinal_title(question, history, titles)
    if pointed:
        return f"{question} {pointed}"
    if not is_follow_up(question):
        if similarity is None:
            return question
        alone = similarity(question)
        if alone >= SELF_CONTAINED_SIMILARITY or alone < OFF_TOPIC_SIMILARITY:
            return question
    previous_question, previous_answer = history[-1]
    named = titles_in(previous_answer, titles)
    context = " ".join(named[:2]) if named else previous_question
    return f"{question} {context}".strip()
