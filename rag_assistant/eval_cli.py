"""``rag-assistant eval``'s command line: its flags, the output folder, one question file or the
whole suite (every question file and every evaluation collection), and the flags and output
helpers ``rag-assistant bench`` shares.

    rag-assistant eval [--questions FILE] [--retrieval-only] [--baselines [bm25,langchain]]
                       [--limit N] [--types t1,t2] [--split tune|test|all] [--suite] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from . import evaluation
from .config import PROJECT_ROOT, Config, apply_offline_env
from .errors import RagAssistantError
from .evaluation import BASELINES, DEFAULT_QUESTIONS, EvalInputError, collection_config, load_questions, select


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit code 2 via RagAssistantError
        raise EvalInputError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="rag-assistant eval", description="Score the assistant (and baselines) on a question file.")
    p.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="JSONL question file")
    p.add_argument("--retrieval-only", action="store_true", help="score retrieval only (no LLM; seconds)")
    p.add_argument("--baselines", nargs="?", const=",".join(BASELINES), default="",
                   help="also run baselines: bm25,langchain (default both)")
    p.add_argument("--limit", type=int, help="at most N questions, spread across types")
    p.add_argument("--types", help="only these question types, comma-separated")
    p.add_argument("--split", choices=["tune", "test", "all"], default="all",
                   help="only the tune or the test half of the questions (split by a hash of the id)")
    p.add_argument("--collection-dir", type=Path,
                   help="a collection folder (papers.jsonl and questions.jsonl, as under eval/collections/): "
                        "ingested into its own index and scored on its own questions")
    p.add_argument("--suite", action="store_true",
                   help="every question file in eval/ on the bundled collection and every collection under "
                        "eval/collections/ on its own questions, with a table of tune and test halves (suite.md)")
    p.add_argument("--default-calibration", action="store_true",
                   help="decide answerability with the packaged model even if the collection has its own "
                        "calibration")
    p.add_argument("--out", type=Path, help="output folder (default eval/results/<timestamp>/)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_config_overrides(p)
    return p


def add_config_overrides(p: argparse.ArgumentParser) -> None:
    """The global flags again, so ``rag-assistant eval -- --data-dir X`` works too (they override)."""
    p.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--generator", choices=["llama_cpp", "transformers", "extractive"], help=argparse.SUPPRESS)
    p.add_argument("--model", dest="llm_model", help=argparse.SUPPRESS)


def apply_config_overrides(config: Config | None, args) -> Config:
    config = config or Config.from_env()
    changes = {k: getattr(args, k) for k in ("data_dir", "generator", "llm_model") if getattr(args, k, None)}
    return config.replace(**changes) if changes else config


def clean_argv(argv) -> list[str]:
    """The CLI passes the words after the subcommand; a leading ``--`` separator is dropped."""
    argv = [str(a) for a in (argv or [])]
    return argv[1:] if argv[:1] == ["--"] else argv


def parse_cli(parser: argparse.ArgumentParser, argv, config: Config | None, **least: int
              ) -> tuple[argparse.Namespace, Config]:
    """The subcommand's flags (``clean_argv``), each flag named in ``least`` checked against its smallest
    allowed value, and the configuration with the global flags applied (``apply_config_overrides``)."""
    args = parser.parse_args(clean_argv(argv))
    for name, smallest in least.items():
        value = getattr(args, name)
        if value is not None and value < smallest:
            raise EvalInputError(f"--{name.replace('_', '-')} must be at least {smallest}")
    return args, apply_config_overrides(config, args)


def default_out(kind: str = "eval") -> Path:
    root = PROJECT_ROOT if (PROJECT_ROOT / "pyproject.toml").exists() else Path.cwd()
    return root / kind / "results" / datetime.now().strftime("%Y%m%d-%H%M%S")


def prepare_out(out: Path) -> Path:
    """Create the output folder before a long run, so a bad ``--out`` fails in a second, not after it."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise EvalInputError(f"--out {out}: cannot write there ({exc.strerror or exc}); "
                             "give a folder you can write to") from None
    return out


def _baselines(value: str) -> list[str]:
    names = [b.strip() for b in value.split(",") if b.strip()]
    unknown = [b for b in names if b not in BASELINES]
    if unknown:
        raise EvalInputError(f"unknown baseline(s) {', '.join(unknown)}; choose from {', '.join(BASELINES)}")
    return list(dict.fromkeys(names))


EVAL_DIR = PROJECT_ROOT / "eval"
SUITE_METRICS = (("questions", "n", "count"), ("recall@5", "R@5", "frac"), ("mrr", "MRR", "frac"),
                 ("citation_precision", "cit. precision", "frac"), ("keypoint_coverage", "keypoints", "frac"),
                 ("abstention_accuracy", "abstention acc.", "frac"), ("false_abstention_rate", "false abst.", "frac"),
                 ("unanswerable_abstention", "unanswerable abst.", "frac"))


def suite_targets(config: Config) -> list[tuple[str, Config, Path]]:
    """(name, config, question file): each question file in eval/ over the configured collection,
    then each collection folder under eval/collections/ over its own index."""
    targets = [(path.stem, config, path) for path in sorted(EVAL_DIR.glob("*_questions.jsonl"))]
    for folder in sorted((EVAL_DIR / "collections").glob("*/")):
        if (folder / "papers.jsonl").is_file() and (folder / "questions.jsonl").is_file():
            own, questions = collection_config(config, folder)
            targets.append((f"collections/{folder.name}", own, questions))
    return targets


def run_suite(config: Config, args, out: Path) -> str:
    """Evaluate every target (``suite_targets``); write each one's report and one table of halves."""
    from .reports import STYLE_NOTE, fmt, md_table, style_counts, style_rows, write_eval_report

    rows, summary, styled, style_totals = [], {}, [], {}
    for name, target_config, path in suite_targets(config):
        questions = load_questions(path)
        if args.split != "all":
            questions = [q for q in questions if q.split == args.split]
        questions = select(questions, args.types, args.limit)
        result = evaluation.evaluate(target_config, questions, retrieval_only=args.retrieval_only,
                                     progress=not args.no_progress, log=lambda m: print(m, file=sys.stderr),
                                     default_calibration=args.default_calibration)
        folder = out / name.replace("/", "-")
        folder.mkdir(parents=True, exist_ok=True)
        write_eval_report(folder, questions, result, {"questions": str(path), "suite": True})
        ours = result["systems"]["ours"]
        summary[name] = {"by_split": ours["by_split"], "overall": ours["overall"],
                         "answerability": result["setup"].get("answerability")}
        for half, block in ours["by_split"].items():
            rows.append([name, half] + [fmt(block.get(key), kind) for key, _, kind in SUITE_METRICS])
        styled += [q for q in questions if q.style]
        for key, (right, decided) in style_counts(questions, result["runs"]["ours"]).items():
            total = style_totals.setdefault(key, [0, 0])
            total[0], total[1] = total[0] + right, total[1] + decided
    (out / "suite.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    table = md_table(["question file", "half"] + [label for _, label, _ in SUITE_METRICS], rows)
    by_style = style_rows(styled, style_totals)
    if by_style:  # the files whose writers labelled each question's sub-type (a qmeta.json beside them)
        table += ("\n\n## By sub-type, over every file with a `qmeta.json`\n\n" + STYLE_NOTE + "\n\n"
                  + md_table(["sub-type", "questions are", "all", "tune half", "test half"], by_style))
    (out / "suite.md").write_text(f"# Evaluation suite\n\n- Created: {datetime.now().isoformat(timespec='seconds')}"
                                  f"\n\n{table}\n", encoding="utf-8")
    return table


def main(argv: list[str] | None, config: Config | None = None) -> int:
    apply_offline_env()
    try:
        args, config = parse_cli(_parser(), argv, config, limit=1)
        baselines = _baselines(args.baselines)
        if args.suite:
            out = prepare_out(args.out or default_out("eval"))
            table = run_suite(config, args, out)
            print(table)
            print(f"\nWrote suite.md, suite.json and a report per question file to {out}")
            return 0
        questions_path = args.questions
        if args.collection_dir:
            config, questions_path = collection_config(config, args.collection_dir, args.questions)
        questions = load_questions(questions_path)
        if args.split != "all":
            questions = [q for q in questions if q.split == args.split]
        questions = select(questions, args.types, args.limit)
        out = prepare_out(args.out or default_out("eval"))
        result = evaluation.evaluate(config, questions, retrieval_only=args.retrieval_only, baselines=baselines,
                                     progress=not args.no_progress, log=lambda m: print(m, file=sys.stderr),
                                     default_calibration=args.default_calibration)
        from .reports import write_eval_report

        # the file the questions came from (a collection folder's own, not the default question file)
        shown = dict(vars(args), questions=questions_path)
        paths = write_eval_report(out, questions, result, {k: str(v) if isinstance(v, Path) else v
                                                            for k, v in shown.items()})
    except RagAssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(paths["report"].read_text(encoding="utf-8").split("\n## By question type")[0].rstrip())
    print(f"\nWrote {', '.join(p.name for p in paths.values())} to {out} in {result['runtime_s']:.0f} s")
    return 0
