"""manage.py import_onspd: the full ONS Postcode Directory, for production."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from directory import postcodes
from directory.models import Postcode

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_postcode_table")]

HEADER = "pcd,pcds,dointr,doterm,oseast1m,osnrth1m,laua,ctry,lsoa11,lsoa21,imd,lat,long\n"
GOOD = [
    "CF101EP ,CF10 1EP,199806,,318200,175860,W06000015,W92000004,W01001870,W01001950,"
    "1234,51.475000,-3.179000\n",
    "CF371AB ,CF37 1AB,198001,,307200,189800,W06000016,W92000004,W01001100,W01001101,"
    "567,51.600000,-3.340000\n",
    "CF999ZZ ,CF99 9ZZ,198001,200906,318000,175000,W06000015,W92000004,W01001870,W01001950,"
    "1234,51.470000,-3.180000\n",
    "ZZ990ZZ ,,198001,,,,,,,,,99.999999,0.000000\n",
]


def write(tmp_path, *lines, header=HEADER, name="onspd.csv"):
    path = tmp_path / name
    path.write_text(header + "".join(lines), encoding="utf-8")
    return str(path)


def run(path, **options):
    out, err = StringIO(), StringIO()
    call_command("import_onspd", path, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_it_imports_each_postcode_with_its_place_area_and_end_date(tmp_path):
    out, err = run(write(tmp_path, *GOOD[:3]))
    cardiff = Postcode.objects.get(postcode="CF10 1EP")
    assert (cardiff.easting, cardiff.northing) == (318200, 175860)
    assert (cardiff.latitude, cardiff.longitude) == (Decimal("51.475000"), Decimal("-3.179000"))
    assert cardiff.local_authority == "W06000015"
    assert cardiff.lsoa == "W01001950"  # the 2021 areas where the file has them
    assert cardiff.imd_decile is None  # ONSPD gives a rank, not a decile: see directory/onspd.py
    assert cardiff.terminated_on is None
    assert Postcode.objects.get(postcode="CF99 9ZZ").terminated_on == date(2009, 6, 1)
    assert "Done: 3 postcodes imported, 0 rows rejected." in out
    assert err == ""


def test_the_lookup_then_uses_it_and_knows_terminated_postcodes(tmp_path):
    run(write(tmp_path, *GOOD[:3]))
    assert postcodes.lookup("cf371ab").lsoa == "W01001101"
    with pytest.raises(postcodes.TerminatedPostcode, match="no longer in use"):
        postcodes.lookup("CF99 9ZZ")


def test_it_reads_older_releases_with_oslaua_and_lsoa11_only(tmp_path):
    header = "pcd,doterm,oseast1m,osnrth1m,oslaua,lsoa11,lat,long\n"
    run(
        write(
            tmp_path, "CF101EP ,,318200,175860,W06000015,W01001870,51.475,-3.179\n", header=header
        )
    )
    row = Postcode.objects.get(postcode="CF10 1EP")
    assert (row.local_authority, row.lsoa) == ("W06000015", "W01001870")


def test_it_takes_a_deprivation_decile_only_from_a_decile_column(tmp_path):
    header = "pcds,oseast1m,osnrth1m,imd_decile\n"
    run(write(tmp_path, "CF10 1EP,318200,175860,3\n", header=header))
    assert Postcode.objects.get(postcode="CF10 1EP").imd_decile == 3


def test_a_plain_onspd_import_keeps_a_decile_loaded_earlier(tmp_path):
    Postcode.objects.create(postcode="CF10 1EP", easting=1, northing=1, imd_decile=3)
    run(write(tmp_path, GOOD[0]))
    row = Postcode.objects.get(postcode="CF10 1EP")
    assert (row.easting, row.imd_decile) == (318200, 3)


def test_a_postcode_without_a_grid_reference_is_kept_without_one(tmp_path):
    run(write(tmp_path, GOOD[0], GOOD[3].replace("ZZ990ZZ ,,", "CF101EQ ,CF10 1EQ,")))
    row = Postcode.objects.get(postcode="CF10 1EQ")
    assert (row.easting, row.northing, row.latitude, row.longitude) == (None, None, None, None)


def test_northern_ireland_postcodes_are_placed_on_the_british_grid_from_lat_long(tmp_path):
    header = "pcds,oseast1m,osnrth1m,lat,long\n"
    # Irish Grid figures in the grid columns; lat/long of Belfast City Hall.
    run(write(tmp_path, "BT1 5GS,333700,374000,54.596,-5.930\n", header=header))
    row = Postcode.objects.get(postcode="BT1 5GS")
    assert 140_000 < row.easting < 160_000
    assert 520_000 < row.northing < 540_000


def test_running_it_twice_changes_nothing(tmp_path):
    path = write(tmp_path, *GOOD[:3])
    run(path)
    before = list(Postcode.objects.order_by("postcode").values())
    run(path)
    assert list(Postcode.objects.order_by("postcode").values()) == before


def test_running_it_again_updates_what_changed(tmp_path):
    run(write(tmp_path, GOOD[1]))
    run(write(tmp_path, GOOD[1].replace(",,307200", ",202301,307200")))
    assert Postcode.objects.get(postcode="CF37 1AB").terminated_on == date(2023, 1, 1)
    assert Postcode.objects.count() == 1


def test_it_imports_in_batches_printing_progress(tmp_path):
    out, _ = run(write(tmp_path, *GOOD[:3]), batch_size=2)
    assert "2 rows read, 2 imported, 0 rejected" in out
    assert "3 rows read, 3 imported, 0 rejected" in out
    assert Postcode.objects.count() == 3


def test_a_postcode_twice_in_one_batch_is_imported_once_with_the_later_row(tmp_path):
    run(write(tmp_path, GOOD[0], GOOD[0].replace("318200", "318201")))
    assert Postcode.objects.get(postcode="CF10 1EP").easting == 318201


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        (GOOD[0].replace("CF10 1EP", "NOT A CODE"), "pcds: “NOT A CODE” is not a UK postcode"),
        (GOOD[0].replace("318200", "east"), "oseast1m: “east” is not a whole number"),
        (GOOD[0].replace("318200", "9999999"), "oseast1m: 9999999 is not between 0 and 700000"),
        (GOOD[0].replace(",318200,", ",,"), "oseast1m, osnrth1m: only one of the pair is given"),
        (GOOD[0].replace("199806,,", "199806,2009,"), "doterm: “2009” is not a year and month"),
        (GOOD[0].replace("199806,,", "199806,200913,"), "doterm: “200913” is not a real month"),
        (GOOD[0].replace("51.475000", "north"), "lat: “north” is not a number"),
        (GOOD[0].replace("W06000015", "W0600001500"), "laua: “W0600001500” is longer than 9"),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_reason_and_left_out(tmp_path, bad_row, reason):
    out, err = run(write(tmp_path, GOOD[1], bad_row, GOOD[2]))
    assert f"line 3: {reason}" in err
    assert "Done: 2 postcodes imported, 1 rows rejected." in out
    assert sorted(Postcode.objects.values_list("postcode", flat=True)) == ["CF37 1AB", "CF99 9ZZ"]


def test_a_file_without_the_postcode_or_grid_columns_imports_nothing(tmp_path):
    path = write(tmp_path, "CF10 1EP,1\n", header="postcode,oseast1m\n")
    with pytest.raises(CommandError, match="no column pcds or pcd, osnrth1m; nothing was imported"):
        run(path)
    assert not Postcode.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*missing.csv: No such file"):
        run(str(tmp_path / "missing.csv"))


def test_a_batch_size_below_one_is_refused(tmp_path):
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        run(write(tmp_path, GOOD[0]), batch_size=0)
