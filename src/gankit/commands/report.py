"""gankit report: write report.html for a run (config, grids over time, progress.gif, curves,
eval table, pitfall alarms), with every picture embedded so the file opens anywhere."""

from pathlib import Path

NAME = "report"
HELP = "write report.html for a run (grids, GIF, curves, eval, alarms)"


def add_arguments(p) -> None:
    p.add_argument("run", help="run folder")
    p.add_argument("--out", help="HTML file to write (default RUN/report.html)")


def run(args) -> int:
    from ..safe_write import check_output_file
    from ..viz.report import write_report

    if args.out:
        check_output_file(args.out)  # a folder or a file in the way: before any picture is drawn
    path = write_report(Path(args.run), args.out)
    print(f"wrote {path}")
    return 0
