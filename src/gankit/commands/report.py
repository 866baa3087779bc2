"""gankit report: write report.html for a run: the headline numbers of eval.json (with the split,
sample counts and feature extractor they were measured with), the generated grid beside a grid of
real training images (RUN/real.png, drawn once), progress.gif, grids over time, pitfall alarms,
the curves (steps or training time), explore's pictures, eval table, and how the run was made
(command line, git commit, versions, dataset hash and splits), with every picture embedded so the
file opens anywhere."""

from pathlib import Path

NAME = "report"
HELP = "write report.html for a run (headline metrics, generated vs real grids, curves, alarms, provenance)"


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
