"""gankit compare: one row per run (model, dataset, steps, wall time, metrics), best FID first.

Numbers come from each run's eval.json (write it with gankit eval RUN, or pass --evaluate).
"""

from pathlib import Path

from ..errors import GankitError
from ..safe_write import write_text
from .argtypes import positive_int

NAME = "compare"
HELP = "compare runs: a table of their metrics, sorted by FID"


def add_arguments(p) -> None:
    p.add_argument("runs", nargs="+", help="run folders")
    p.add_argument("--sort", default="fid", help="metric to sort by (default fid)")
    p.add_argument("--csv", metavar="FILE", help="also write the table as CSV")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("--html", metavar="FILE", help="also write an HTML page: final grids, curves, metric table")
    p.add_argument("--evaluate", action="store_true", help="run gankit eval on runs that have no eval.json")
    p.add_argument("--n", type=positive_int, default=10000, help="samples for --evaluate (default 10000)")
    p.add_argument("--metrics", default=None, help="metrics for --evaluate (default all)")


def run(args) -> int:
    from ..metrics.compare import compare_rows, to_csv, to_markdown, to_text

    rows = compare_rows(args.runs, args.sort, args.evaluate, args.n, args.metrics)
    print(to_markdown(rows) if args.markdown else to_text(rows))
    missing = [r["run"] for r in rows if r.get("eval_n") is None]
    if missing:
        print(f"(no eval.json in {', '.join(missing)}: run gankit eval on them, or pass --evaluate)")
    if any("warning" in r for r in rows):
        print(f"warning: {rows[0]['warning']}")
    if args.csv:
        out = Path(args.csv)
        if out.is_dir():
            raise GankitError(f"--csv {out} is a folder (give a file name)")
        write_text(out, to_csv(rows))
        print(f"wrote {out}")
    if args.html:
        from ..viz.report import write_compare_html

        print(f"wrote {write_compare_html(args.runs, args.html, metric_rows=rows)}")
    return 0
