"""python -m bench [--services N] [--referrals N] [--runs N] [--only TEXT] [--regenerate]
[--drop] [--no-quality] [--api-seconds S] [--api-cpu ROUNDS]

First the directory search's quality on the demo directory (any database), then, on
PostgreSQL, the timings on a large generated database."""

import argparse
import os
import sys
import time
import warnings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--services", type=int, default=20_000, help="services to generate")
    parser.add_argument(
        "--referrals", type=int, default=1_000_000, help="referrals to generate (0: none)"
    )
    parser.add_argument("--runs", type=int, default=50, help="timed runs per measurement")
    parser.add_argument("--only", default="", help="run only measurements whose name has this")
    parser.add_argument("--regenerate", action="store_true", help="make the data afresh")
    parser.add_argument("--drop", action="store_true", help="drop the bench database at the end")
    parser.add_argument(
        "--no-quality", action="store_true", help="skip the search quality measurement"
    )
    parser.add_argument(
        "--api-seconds", type=float, default=1.0, help="seconds per turn of the partner API load"
    )
    parser.add_argument(
        "--api-cpu",
        type=int,
        default=0,
        metavar="ROUNDS",
        help="partner API: only the in-process CPU per request, API and bare, ROUNDS times",
    )
    args = parser.parse_args(argv)

    # Development settings (no HTTPS redirect, local hosts allowed); DEBUG is turned off
    # below so that Django does not keep every query in memory while we time it.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    # WhiteNoise warns when collectstatic has not run; static files are not what we time.
    warnings.filterwarnings("ignore", message="No directory at")
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False

    from django.db import connection

    quality_failed = False
    if not args.no_quality and not (args.only and args.only not in "search quality"):
        quality_failed = _search_quality(connection, settings)
    if connection.vendor != "postgresql":
        print(
            "The timings need PostgreSQL: set DATABASE_URL, e.g. "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/sp make bench",
            file=sys.stderr,
        )
        return 1 if quality_failed else 0

    from bench import referrals
    from bench.generate import generate
    from bench.measurements import MEASUREMENTS, time_it
    from directory.models import Service
    from referrals.models import Referral

    # A database of its own beside the configured one: <name>_bench.
    bench_name = f"{settings.DATABASES['default']['NAME']}_bench"
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = bench_name
    connection.creation.create_test_db(verbosity=0, keepdb=True, serialize=False)
    try:
        wanted = (args.services, args.referrals)
        if args.regenerate or _sizes(connection) != wanted:
            if Service.objects.exists() or Referral.objects.exists():
                connection.creation.destroy_test_db(bench_name, verbosity=0)
                connection.creation.create_test_db(verbosity=0, serialize=False)
            started = time.monotonic()
            print(f"Generating {args.services:,} services in {bench_name}...", flush=True)
            generate(args.services, stdout=sys.stdout)
            if args.referrals:
                print(f"Generating {args.referrals:,} referrals...", flush=True)
                referrals.generate(args.referrals, stdout=sys.stdout)
            with connection.cursor() as cursor:
                # The generator writes every service twice (rows, then search documents): pack
                # the table as a live one whose space is reused would be, then settle the
                # indexes and statistics as autovacuum would.
                cursor.execute("VACUUM FULL directory_service")
                cursor.execute("VACUUM ANALYZE")
                cursor.execute("CREATE TABLE bench_size (services int, referrals int)")
                cursor.execute("INSERT INTO bench_size VALUES (%s, %s)", wanted)
            print(f"Generated in {time.monotonic() - started:.0f} s", flush=True)
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        print(
            f"{Service.objects.count():,} services and {Referral.objects.count():,} referrals "
            f"in {bench_name}; {args.runs} runs each (rollups fewer); "
            f"{os.cpu_count()} CPUs, load average {load}\n",
            flush=True,
        )

        print(f"{'measurement':<56} {'median':>9} {'p95':>9}  target")
        failed = False
        for measurement in MEASUREMENTS:
            if args.only and args.only not in measurement.name:
                continue
            result = time_it(measurement, args.runs)
            target = "" if result.target_ms is None else f"< {_shown(result.target_ms).strip()}"
            if result.target_p95_ms is not None:
                target = f"p95 < {_shown(result.target_p95_ms).strip()}"
            verdict = "" if result.met else "  MISSED"
            failed |= not result.met
            print(
                f"{result.name:<56} {_shown(result.median_ms)} {_shown(result.p95_ms)}  "
                f"{target}{verdict}",
                flush=True,
            )
        if not args.only or args.only in "partner API against a bare DRF endpoint":
            from bench import api

            print()
            if args.api_cpu:
                api.measure_cpu(args.api_cpu)
            else:
                failed |= not api.measure(bench_name, seconds=args.api_seconds)
        return 1 if failed or quality_failed else 0
    finally:
        if args.drop:
            connection.creation.destroy_test_db(bench_name, verbosity=0)


def _search_quality(connection, settings) -> bool:
    """Judge the search on the demo directory in a database of its own (<name>_quality on
    PostgreSQL, in memory on SQLite); print the figures. True when below the floor."""
    from io import StringIO

    from bench.search_quality import MRR_FLOOR, RECALL_FLOOR, measure, report
    from directory import demo

    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    kept = test_settings.get("NAME")
    if connection.vendor == "postgresql":
        test_settings["NAME"] = f"{settings.DATABASES['default']['NAME']}_quality"
    original = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, keepdb=False, serialize=False)
    try:
        demo.seed(StringIO())
        quality = measure()
        print(f"{report(quality)}\n(on {connection.vendor})\n", flush=True)
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)
        test_settings["NAME"] = kept
    below = quality.recall < RECALL_FLOOR or quality.mrr < MRR_FLOOR
    if below:
        print(f"Search quality below the floor (recall {RECALL_FLOOR}, MRR {MRR_FLOOR})\n")
    return below


def _shown(ms: float) -> str:
    """Milliseconds, or seconds from 10 s up (the rollups), in 9 characters."""
    return f"{ms / 1000:>7.1f} s" if ms >= 10_000 else f"{ms:>6.1f} ms"


def _sizes(connection) -> tuple[int, int] | None:
    """What was generated in the bench database: (services, referrals), else None."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_size') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT services, referrals FROM bench_size")
        return cursor.fetchone()


if __name__ == "__main__":
    sys.exit(main())
