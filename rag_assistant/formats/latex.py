"""LaTeX in titles, abstracts and names (BibTeX exports, arXiv metadata) -> plain text, with pylatexenc.

Accents and escapes become characters, braces and formatting macros go, citations are dropped;
math is kept as written (``$R^2$``), as arXiv and the bundled scrape show it, so a title reads the
same whichever file it came from.

>>> latex_to_text(r"Caf{\\'e} {BERT} \\emph{na\\"ive}: 5\\% better \\cite{x} $O(n)$")
'Café BERT naïve: 5% better $O(n)$'
>>> latex_to_text("R&D on {GPU}s: 5% of it")  # a bare & or % is text (a LaTeX % would drop the rest)
'R&D on GPUs: 5% of it'
"""
from __future__ import annotations

import functools
import re

# without one of these a text has nothing for LaTeX to change (most abstracts): skip the parser
_LATEX = re.compile(r"[\\{}$~]|--|``|''")
_BARE_SPECIAL = re.compile(r"(?<!\\)([%&#])")
# a citation goes with the space before it ("results \\cite{x}." -> "results.")
_CITATION = re.compile(r"\s*~?\\(?:cite[a-z]*|ref|eqref)\*?(?:\[[^\]]*\])*\{[^}]*\}")
_DROPPED = ("cite", "citep", "citet", "citealp", "citeauthor", "citeyear", "nocite", "ref", "eqref", "label",
            "footnote")
_WORDS = {"eg": "e.g.", "ie": "i.e.", "etal": "et al.", "etc": "etc.", "vs": "vs.", "wrt": "w.r.t.",
          "LaTeX": "LaTeX", "TeX": "TeX"}


@functools.cache
def _converter():
    from pylatexenc import macrospec
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
    from pylatexenc.latexwalker import get_default_latex_context_db as parsing_context

    parsing = parsing_context()
    # the parser's own table lacks \href's two arguments, and then the text converter fails on it
    parsing.add_context_category("rag_assistant", prepend=True, macros=[macrospec.std_macro("href", False, 2)])
    text = get_default_latex_context_db()
    text.add_context_category("rag_assistant", prepend=True, macros=(
        [MacroTextSpec(name, simplify_repl="") for name in _DROPPED]
        + [MacroTextSpec(name, simplify_repl=word) for name, word in _WORDS.items()]))
    return parsing, LatexNodes2Text(latex_context=text, math_mode="verbatim")


def latex_to_text(text: str) -> str:
    """``text`` with its LaTeX turned into plain characters and its whitespace collapsed."""
    if _LATEX.search(text):
        from pylatexenc.latexwalker import LatexWalker

        parsing, converter = _converter()
        source = _BARE_SPECIAL.sub(r"\\\1", _CITATION.sub("", text))
        try:
            nodes = LatexWalker(source, latex_context=parsing, tolerant_parsing=True).get_latex_nodes()[0]
            text = converter.nodelist_to_text(nodes)
        except Exception:  # noqa: BLE001 - a construct pylatexenc cannot take: keep the text, less its braces
            text = re.sub(r"(?<!\\)[{}]", "", text)
    return " ".join(text.split())
