"""gankit compare: one row per run (model, dataset, steps, wall time, metrics), best FID first.

Numbers come from each run's eval.json (write it with gankit eval RUN, or pass --evaluate). A
broken file of a run is left out with one ``gankit: warning: skipped ...`` line
(gankit.viz.runfiles); each run's files are read once, for the table and the HTML page alike.
"""

from ..safe_write import check_output_file, write_text
from .argtypes import positive_int

NAME = "compare"
HELP = "compare runs: a table of their metrics, sorted by FID"


def add_arguments(p) -> None:
    p.add_argument("runs", nargs="+", help="run folders")
    p.add_argument("--sort", default="fid", help="metric to sort by (default fid)")
    p.add_argument("--csv", metavar="FILE", help="also write the table as CSV")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("--html", metavar="FILE",
                   help="also write an HTML page: the warnings, metric table, final grids, a curve per metric")
    p.add_argument("--evaluate", action="store_true", help="run gankit eval on runs that have no eval.json")
    p.add_argument("--n", type=positive_int, default=10000, help="samples for --evaluate (default 10000)")
    p.add_argument("--metrics", default=None, help="metrics for --evaluate (default all)")


def run(args) -> int:
    from ..metrics.compare import compare_rows, compare_warnings, missing_eval, to_csv, to_markdown, to_text
    from ..viz.runfiles import RunFiles

    for flag, out in (("--csv", args.csv), ("--html", args.html)):
        if out:
            check_output_file(out, flag)  # a folder or a file in the way: before any run is read
    runs = [RunFiles(p) for p in args.runs]
    rows = compare_rows(runs, args.sort, args.evaluate, args.n, args.metrics)
    print(to_markdown(rows) if args.markdown else to_text(rows))
    note = missing_eval(rows)
    if note:
        print(f"({note})")
    for warning in compare_warnings(rows):  # the same lines head compare.html
        print(f"warning: {warning}")
    if args.csv:
        write_text(args.csv, to_csv(rows))
        print(f"wrote {args.csv}")
    if args.html:
        from ..viz.report import write_compare_html

        compared = {r["run"] for r in rows}
        runs = [files for files in runs if str(files.path) in compared]
        print(f"wrote {write_compare_html(runs, args.html, metric_rows=rows)}")
    return 0
