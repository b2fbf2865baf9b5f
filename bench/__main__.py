"""python -m bench [--services N] [--runs N] [--only TEXT] [--regenerate] [--drop]"""

import argparse
import os
import sys
import warnings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--services", type=int, default=20_000, help="services to generate")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per measurement")
    parser.add_argument("--only", default="", help="run only measurements whose name has this")
    parser.add_argument("--regenerate", action="store_true", help="make the data afresh")
    parser.add_argument("--drop", action="store_true", help="drop the bench database at the end")
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

    if connection.vendor != "postgresql":
        print(
            "make bench needs PostgreSQL: set DATABASE_URL, e.g. "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/sp make bench",
            file=sys.stderr,
        )
        return 2

    from bench.generate import generate
    from bench.measurements import MEASUREMENTS, time_it
    from directory.models import Service

    # A database of its own beside the configured one: <name>_bench.
    bench_name = f"{settings.DATABASES['default']['NAME']}_bench"
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = bench_name
    connection.creation.create_test_db(verbosity=0, keepdb=True)
    try:
        have = Service.objects.count()
        if args.regenerate or have != args.services:
            if have:
                connection.creation.destroy_test_db(bench_name, verbosity=0)
                connection.creation.create_test_db(verbosity=0)
            print(f"Generating {args.services:,} services in {bench_name}...", flush=True)
            generate(args.services, stdout=sys.stdout)
            with connection.cursor() as cursor:
                # Settle the search index and statistics as autovacuum would in a live database.
                cursor.execute("VACUUM ANALYZE")
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        print(
            f"{Service.objects.count():,} services in {bench_name}; {args.runs} runs each; "
            f"{os.cpu_count()} CPUs, load average {load}\n"
        )

        print(f"{'measurement':<48} {'median':>9} {'p95':>9}  target")
        failed = False
        for measurement in MEASUREMENTS:
            if args.only and args.only not in measurement.name:
                continue
            result = time_it(measurement, args.runs)
            target = "" if result.target_ms is None else f"< {result.target_ms:.0f} ms"
            verdict = "" if result.met else "  MISSED"
            failed |= not result.met
            print(
                f"{result.name:<48} {result.median_ms:>6.1f} ms {result.p95_ms:>6.1f} ms  "
                f"{target}{verdict}",
                flush=True,
            )
        return 1 if failed else 0
    finally:
        if args.drop:
            connection.creation.destroy_test_db(bench_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
