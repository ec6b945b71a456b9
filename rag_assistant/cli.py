"""The ``rag-assistant`` command line: thin; parses arguments, calls ``Assistant``, prints.

User mistakes print one line (``error: ...``) and exit 2; never a traceback.
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from .config import Config, apply_offline_env
from .errors import RagAssistantError


def _path(text: str) -> Path:
    """A path argument: ``~`` expanded (the shell leaves ``--data-dir=~/x`` alone); empty is refused."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty path: name a file or folder")
    return Path(text).expanduser()


def _global_flags(default) -> argparse.ArgumentParser:
    """The global flags; the subcommands' copies default to SUPPRESS so that a flag given before
    the subcommand (`rag-assistant --data-dir X search ...`) is not overwritten by their default."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=_path, default=default, help="index and models (env RAG_DATA_DIR)")
    common.add_argument("--chroma-url", default=default, help="a Chroma server, e.g. http://127.0.0.1:8000")
    common.add_argument("--collection", default=default,
                        help="the collection to use (env RAG_COLLECTION; default papers)")
    common.add_argument("--generator", default=default, choices=["llama_cpp", "transformers", "extractive"],
                        help="answer backend")
    common.add_argument("--model", dest="llm_model", default=default,
                        help="LLM: bundled name, .gguf path, HF folder or hub id")
    return common


def _parser() -> argparse.ArgumentParser:
    common = _global_flags(argparse.SUPPRESS)
    parser = argparse.ArgumentParser(prog="rag-assistant", description=__doc__.splitlines()[0],
                                     parents=[_global_flags(None)])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", parents=[common], help="index paper files (default: the bundled corpus)")
    p.add_argument("paths", nargs="*", type=_path,
                   help="BibTeX, RIS, arXiv metadata JSON Lines, CSV/TSV, JSON/JSON Lines, page scrapes, or folders")
    p.add_argument("--format", help="the files' format instead of detecting it: page, jsonl, json, csv, tsv, bibtex, "
                                    "arxiv, ris")
    sub.add_parser("collections", parents=[common], help="list the collections with their paper counts")
    p = sub.add_parser("remove", parents=[common], help="remove papers from the collection")
    p.add_argument("keys", nargs="+", metavar="ID_OR_DOI_OR_TITLE",
                   help="a paper id, DOI, arXiv id or title (as `search` shows it)")
    sub.add_parser("reindex", parents=[common], help="re-embed every paper of the collection")
    filtering = argparse.ArgumentParser(add_help=False)
    group = filtering.add_argument_group("filters (only papers that pass them are searched)")
    group.add_argument("--year", help="a year or range: 2021, 2021-2023, 2021- (from), -2023 (until)")
    group.add_argument("--author", action="append", help="an author's name or surname (repeat for either of several)")
    group.add_argument("--category", action="append",
                       help="an arXiv category (cs.CV; cs for all of cs.*) or a venue's words (repeat for either)")
    group.add_argument("--keyword", action="append",
                       help="a word or phrase in the title, abstract or keywords (repeat for either)")
    p = sub.add_parser("ask", parents=[common, filtering], help="answer one question with cited papers")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the Answer as JSON")
    p = sub.add_parser("search", parents=[common, filtering], help="list matching papers (no LLM)")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=10, help="number of papers (default 10)")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("calibrate", parents=[common], help="fit when to abstain, for this collection")
    p.add_argument("--papers", type=int, default=120, help="papers to derive questions from (default 120)")
    p.add_argument("--questions", nargs="+", type=_path,
                   help="labelled question files: fit on them instead (how the packaged model is made)")
    p.add_argument("--split", choices=["tune", "test", "all"], default="tune",
                   help="with --questions: which half of each file to fit on (default tune)")
    p.add_argument("--out", type=_path, help="with --questions: where to write the model")
    p = sub.add_parser("chat", parents=[common], help="serve the chat web UI on 127.0.0.1")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    # eval and bench parse their own options (see `rag-assistant eval -- --help`)
    sub.add_parser("eval", parents=[common], help="evaluate on a question file", add_help=False)
    sub.add_parser("bench", parents=[common], help="benchmark speed and memory against the stock recipe",
                   add_help=False)
    return parser


DEFAULT_COLLECTION = Config.__dataclass_fields__["collection"].default  # the one built from the bundled corpus


def _config(args) -> Config:
    return Config.from_env(data_dir=args.data_dir, chroma_url=args.chroma_url, generator=args.generator,
                           llm_model=args.llm_model, collection=args.collection)


def _assistant(args, progress: bool = True, create: bool = False, empty: bool = False):
    """The assistant over the configured collection. Another collection than the default one must
    exist, unless ``create``: then a new one starts empty (it is not built from the bundled corpus).
    ``empty``: the default one too, when missing (an ingest of the corpus is about to build it)."""
    from .assistant import Assistant
    from .indexing import check_collection_exists

    config = _config(args)
    named = config.collection != DEFAULT_COLLECTION
    where = config.chroma_url or config.data_dir
    if named and not create:
        check_collection_exists(config)
    if progress:
        if config.chroma_url or (config.chroma_dir / "chroma.sqlite3").exists():
            print(f"Loading the index ({where}, collection '{config.collection}')...", file=sys.stderr)
        elif named:
            pass  # a new collection starts empty: nothing to build
        elif config.data_dir.is_dir() or not config.data_dir.exists():  # a file: from_config says what is wrong
            print(f"No index in {config.data_dir} yet: building it from {', '.join(map(str, config.corpus_paths))} "
                  "(first run, under a minute)...", file=sys.stderr)
    return Assistant.from_config(config, progress=progress, create_empty=named or empty)


def cmd_ingest(args) -> int:
    from .corpus import corpus_files
    from .formats import format_name

    if args.format:
        format_name(args.format)  # a typo or a missing file is named before a new collection is made
    corpus_files(args.paths)
    assistant = _assistant(args, create=True, empty=not args.paths)
    report = assistant.ingest(args.paths or None, format=args.format, progress=True)
    for summary in report.by_file:
        print(_file_line(summary))
    skipped = [(summary.path.name, s) for summary in report.by_file for s in summary.skipped]
    if skipped:
        print(f"Skipped {len(skipped)} entr{'y' if len(skipped) == 1 else 'ies'}:")
        for name, s in skipped:
            print(f"  {name}: {s.entry} ({s.reason})" + (f' "{s.title}"' if s.title else ""))
    print(f"Indexed {report.papers} papers from {report.files} file(s): {report.chunks} chunks "
          f"({report.embedded} embedded, {report.removed} removed) in {report.seconds:.1f} s. "
          f"Index: {assistant.store.location}, collection '{assistant.config.collection}' "
          f"({len(assistant.papers)} papers in total)")
    if args.paths:
        _calibrate_if_changed(assistant)
    if report.conflicting_titles:
        print(f"note: {len(report.conflicting_titles)} title(s) came more than once with different abstracts; "
              f"the first copy of each was kept: {_titles(report.conflicting_titles)}", file=sys.stderr)
    if report.updated_titles:
        print(f"note: {len(report.updated_titles)} paper(s) already in the index came with a different abstract; "
              f"the new one replaced the old: {_titles(report.updated_titles)}", file=sys.stderr)
    return 0


def _file_line(summary) -> str:
    """One file's line of the ingest summary.

    >>> from rag_assistant.types import FileIngest
    >>> _file_line(FileIngest(Path("/x/refs.bib"), "bibtex", added=("A", "B"), unchanged=("C",), duplicates=("D",)))
    'refs.bib (bibtex): 2 added, 0 updated, 1 unchanged, 0 skipped, 1 already given above'
    """
    line = (f"{summary.path.name} ({summary.format}): {len(summary.added)} added, {len(summary.updated)} updated, "
            f"{len(summary.unchanged)} unchanged, {len(summary.skipped)} skipped")
    return line + (f", {len(summary.duplicates)} already given above" if summary.duplicates else "")


def _calibrate_if_changed(assistant) -> None:
    """After an ingest or a remove: calibrate the collection when it changed enough to matter."""
    from .calibration import calibrate, needs_calibration

    if needs_calibration(assistant):
        print("Calibrating when to abstain on this collection's own questions (`rag-assistant calibrate` "
              "redoes it)...", file=sys.stderr)
        try:
            model = calibrate(assistant, progress=True)
            print(f"Calibrated: {model.origin}", file=sys.stderr)
        except ValueError as exc:
            print(f"note: {exc}", file=sys.stderr)


def cmd_collections(args) -> int:
    from .assistant import Assistant

    config = _config(args)
    collections = Assistant.collections(config)
    where = config.chroma_url or config.data_dir
    if not collections:
        print(f"No collections in {where} yet: `rag-assistant ingest` builds one")
    for c in collections:
        mark = "*" if c.name == config.collection else " "
        print(f"{mark} {c.name}  {c.papers} paper{'' if c.papers == 1 else 's'}")
    return 0


def cmd_remove(args) -> int:
    assistant = _assistant(args)
    removed = assistant.remove(args.keys)
    print(f"Removed {len(removed)} paper(s) from collection '{assistant.config.collection}' "
          f"({len(assistant.papers)} left): {_titles([p.title for p in removed])}")
    _calibrate_if_changed(assistant)
    return 0


def cmd_reindex(args) -> int:
    assistant = _assistant(args)
    report = assistant.reindex(progress=True)
    print(f"Re-embedded the {report.papers} papers of collection '{assistant.config.collection}' "
          f"({report.chunks} chunks) in {report.seconds:.1f} s")
    return 0


def cmd_calibrate(args) -> int:
    from .calibration import calibrate, calibration_path, fit_labelled

    if args.papers < 5:
        raise RagAssistantError("--papers must be at least 5")
    assistant = _assistant(args)
    if args.questions:
        judge = assistant.judge  # the second stage is fitted with the configured judge, when there is one
        model = fit_labelled(assistant, args.questions, args.split, judge, assistant.config.judge_model)
        out = args.out or calibration_path(assistant.config)
        model.save(out)
    else:
        model = calibrate(assistant, papers=args.papers, progress=True)
        out = calibration_path(assistant.config)
    print(f"Answerability model written to {out}: {model.origin}")
    return 0


def _titles(titles, shown: int = 3) -> str:
    more = f" and {len(titles) - shown} more" if len(titles) > shown else ""
    return "; ".join(f'"{t}"' for t in titles[:shown]) + more


def _described(title: str, meta) -> str:
    """A title with its authors, year and venue: ``Title — A, B, C et al. (2021). Venue``."""
    byline = meta.byline()
    return f"{title} — {byline}" if byline else title


def _filters(args):
    """The filter flags as ``Filters`` (read before the index opens, so a typo is named at once)."""
    from .filters import Filters

    return Filters.of(year=args.year, author=args.author, category=args.category, keyword=args.keyword)


def cmd_search(args) -> int:
    filters = _filters(args)
    hits = _assistant(args).retrieve(args.query, k=args.k, filters=filters)
    if args.json:
        print(json.dumps([asdict(h) for h in hits], indent=2))
        return 0
    for hit in hits:
        print(f"{hit.rank:>2}. {_described(hit.title, hit.meta)}  (score {hit.score:.4f}, "
              f"similarity {hit.similarity:.2f})")
        if hit.meta.url:
            print(f"    {hit.meta.url}")
        print(f"    {hit.text[:200]}{'...' if len(hit.text) > 200 else ''}")
    return 0


def cmd_ask(args) -> int:
    filters = _filters(args)
    answer = _assistant(args).ask(args.question, filters=filters)
    if args.json:
        print(json.dumps(asdict(answer), indent=2))
        return 0
    print(answer.text)
    if answer.citations:
        print("\nCited papers:")
        for c in answer.citations:
            print(f"  [{c.number}] {_described(c.title, c.meta)}")
            if c.meta.url:
                print(f"      {c.meta.url}")
    return 0


def cmd_chat(args) -> int:
    from .ui import serve

    serve(_config(args), host=args.host, port=args.port)
    return 0


def cmd_eval(args) -> int:
    from .eval_cli import main as eval_main

    return eval_main(args.rest, _config(args))


def cmd_bench(args) -> int:
    from .benchmark import main as bench_main

    return bench_main(args.rest, _config(args))


COMMANDS = {"ingest": cmd_ingest, "calibrate": cmd_calibrate, "ask": cmd_ask, "search": cmd_search, "chat": cmd_chat,
            "eval": cmd_eval, "bench": cmd_bench, "collections": cmd_collections, "remove": cmd_remove,
            "reindex": cmd_reindex}


def main(argv: list[str] | None = None) -> int:
    apply_offline_env()
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.command in ("eval", "bench"):
        args.rest = [a for a in rest if a != "--"]
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return COMMANDS[args.command](args)
    except RagAssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("rag_assistant."):
            print(f"error: `rag-assistant {args.command}` is not available yet in this version", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `rag-assistant search ... | head -1`: the reader has what it wanted
        _silence_stdout()
        return 0
    except OSError as exc:
        if exc.errno in _WRITE_FAILURES and exc.filename is None:  # writing the output failed (e.g. a full disk)
            _silence_stdout()
            print(f"error: cannot write the output ({exc.strerror or exc})", file=sys.stderr)
            return 1
        raise


_WRITE_FAILURES = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


def _silence_stdout() -> None:
    """Point stdout at /dev/null so Python's exit-time flush of a broken or full pipe stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
