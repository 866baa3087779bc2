"""gankit datasets: the datasets gankit can load."""

NAME = "datasets"
HELP = "list the datasets"


def add_arguments(parser) -> None:
    pass


def run(args) -> int:
    from ..data import DATASETS

    for name, description in DATASETS.items():
        print(f"{name:14s} {description}")
    return 0
