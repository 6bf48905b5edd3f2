"""Command line: ``python -m promo_core demo build | import | info | weekly``.

Batch use needs no browser. Exit codes a scheduler can act on:
0 done, 1 unexpected failure, 2 bad input (nothing was written), 3 database busy.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from promo_core import datasets, db, overview, paths
from promo_core.errors import DatabaseBusyError, PromoLabError, ValidationError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_BUSY = 0, 1, 2, 3


def _progress_bar(total_label: str):
    """A tqdm bar driven by (fraction, message) callbacks."""
    from tqdm import tqdm

    bar = tqdm(total=100, desc=total_label, unit="%", bar_format="{l_bar}{bar}| {n:.0f}% {postfix}")

    def update(fraction: float, message: str) -> None:
        bar.n = round(100 * min(max(fraction, 0.0), 1.0))
        bar.set_postfix_str(message)
        bar.refresh()

    return bar, update


def cmd_demo_build(args: argparse.Namespace) -> int:
    from promo_core.demo import build_demo

    target = Path(args.path)
    if target.exists() and args.if_missing:
        print(f"Demo shop already built: {target}")
        return EXIT_OK
    if target.exists() and not args.force:
        print(f"{target} exists; pass --force to rebuild it.", file=sys.stderr)
        return EXIT_BAD_INPUT
    start = time.perf_counter()
    bar, update = _progress_bar("Building demo shop")
    counts = build_demo(
        target, customers=args.customers, seed=args.seed,
        targeted_campaigns=args.targeted, progress=update,
    )
    update(1.0, "done")
    bar.close()
    print(f"Built {target} in {time.perf_counter() - start:.1f} s: "
          + ", ".join(f"{n:,} {t}" for t, n in counts.items()))
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from promo_core import importers

    target = paths.dataset_path(datasets.slugify(args.name))
    if target.exists() and not args.replace:
        print(f"A data set named '{args.name}' exists ({target}); pass --replace.",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    tables: dict[str, list[Path]] = {}
    for spec in args.table or []:
        table, _, file = spec.partition("=")
        tables.setdefault(table, []).append(Path(file))
    bar, update = _progress_bar(f"Importing {args.name}")
    result = importers.import_dataset(
        target, preset=args.preset, files=[Path(f) for f in args.files] or None,
        sources=tables or None, dataset_name=args.name, progress=update,
        if_exists="replace" if args.replace else "error",
    )
    bar.close()
    print(f"Imported into {target}:")
    for table, n in result.row_counts.items():
        print(f"  {table:<12} {n:>12,} rows")
    for table, reason, rows in result.dropped:
        print(f"  dropped from {table}: {rows:,} rows ({reason})")
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    path = Path(args.path) if args.path else paths.DEMO_DB
    con = db.connect(path, read_only=True)
    kpis = overview.headline_kpis(con)
    print(f"{datasets.label(path)} ({path})")
    print(f"  {kpis['customers']:,} customers, {kpis['orders']:,} orders, "
          f"revenue {kpis['revenue']:,.2f}, {kpis['promotions']} promotions, "
          f"{kpis['exposures']:,} exposures")
    print(overview.table_summary(con).to_string(index=False))
    report = overview.quality_report(con)
    flagged = report[report["rows"] > 0]
    if not flagged.empty:
        print("\nData quality:")
        print(flagged[["severity", "check", "table", "rows"]].to_string(index=False))
    return EXIT_OK


def cmd_weekly(args: argparse.Namespace) -> int:
    from promo_core.plans.weekly import run_weekly_job

    sources = {table: [Path(f) for f in files]
               for table, files in (("customers", args.customers), ("orders", args.orders),
                                    ("exposures", args.exposures)) if files}
    result = run_weekly_job(
        Path(args.path) if args.path else paths.DEMO_DB, args.plan, sources=sources or None,
        retrain=not args.no_retrain, export=not args.no_export, folder=args.out,
        log=lambda text: print(text, flush=True),
    )
    if result.code != EXIT_OK:
        print(f"weekly job failed (exit {result.code})", file=sys.stderr)
    return result.code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="promo_core", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="the built-in demo shop").add_subparsers(
        dest="demo_command", required=True)
    build = demo.add_parser("build", help="generate the demo shop database")
    build.add_argument("--customers", type=int, default=20_000)
    build.add_argument("--seed", type=int, default=7)
    build.add_argument("--targeted", action="store_true",
                       help="make some past campaigns targeted rather than randomised")
    build.add_argument("--path", default=str(paths.DEMO_DB))
    build.add_argument("--if-missing", action="store_true", help="do nothing if it exists")
    build.add_argument("--force", action="store_true", help="rebuild an existing file")
    build.set_defaults(func=cmd_demo_build)

    imp = sub.add_parser("import", help="import files as a new data set")
    imp.add_argument("--name", required=True, help="data set name")
    imp.add_argument("--preset", help="online_retail or hillstrom")
    imp.add_argument("--table", action="append", metavar="TABLE=FILE",
                     help="generic import: a file for a canonical table (repeatable)")
    imp.add_argument("--replace", action="store_true", help="replace a data set of that name")
    imp.add_argument("files", nargs="*", help="files for the preset")
    imp.set_defaults(func=cmd_import)

    weekly = sub.add_parser(
        "weekly", help="the unattended weekly job: refresh → retrain → rebuild plan → export")
    weekly.add_argument("--path", help="a data set file (default: the demo shop)")
    weekly.add_argument("--plan", type=int, required=True, help="id of the saved plan")
    weekly.add_argument("--customers", nargs="*", help="new customers file(s) to append")
    weekly.add_argument("--orders", nargs="*", help="new orders file(s) to append")
    weekly.add_argument("--exposures", nargs="*", help="new exposures file(s) to append")
    weekly.add_argument("--no-retrain", action="store_true", help="keep the current champion")
    weekly.add_argument("--no-export", action="store_true", help="skip the three exports")
    weekly.add_argument("--out", help="folder for the exports (default data/exports)")
    weekly.set_defaults(func=cmd_weekly)

    info = sub.add_parser("info", help="what a data set holds, and its quality")
    info.add_argument("--path", help="a data set file (default: the demo shop)")
    info.set_defaults(func=cmd_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValidationError as e:
        print(f"error: {e.source} could not be used:", file=sys.stderr)
        for problem in e.problems:
            print(f"  - {problem.describe()}", file=sys.stderr)
        print("Nothing was written.", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DatabaseBusyError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BUSY
    except (PromoLabError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
