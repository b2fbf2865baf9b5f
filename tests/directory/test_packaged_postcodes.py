"""The packaged postcodes live in the Postcode table, not in each process (issue 18, point 10)."""

from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from core.postcodes import PostcodeError
from directory import postcodes
from directory.models import PackagedPostcodeLoad, Postcode
from directory.services import packaged_postcodes
from directory.services.packaged_postcodes import packaged_postcodes_load

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_postcode_table")]


def test_the_first_lookup_in_a_district_puts_that_district_in_the_table():
    assert not Postcode.objects.filter(postcode__startswith="CF37 ").exists()
    place = postcodes.lookup("cf37 1ab")
    district = Postcode.objects.filter(postcode__startswith="CF37 ")
    assert district.count() > 100
    assert Postcode.objects.get(postcode="CF37 1AB").easting == place.easting
    assert not Postcode.objects.filter(postcode__startswith="CF10 ").exists()  # only the district
    assert list(PackagedPostcodeLoad.objects.values_list("prefix", "rows")) == [
        ("CF37", district.count())
    ]


def test_later_lookups_are_one_query_and_never_decode_the_package(
    django_assert_num_queries,
):
    postcodes.lookup("CF37 1AB")
    known = set(Postcode.objects.values_list("postcode", flat=True))
    absent = next(f"CF37 {n}{a}{b}" for n in "90" for a in "ZYX" for b in "ZYX"
                  if f"CF37 {n}{a}{b}" not in known)  # fmt: skip
    with mock.patch.object(packaged_postcodes, "_rows", side_effect=AssertionError("decoded")):
        with django_assert_num_queries(1):
            assert postcodes.lookup("CF37 1AB").local_authority
        # A postcode the district does not have: its row, then whether the district is loaded.
        with django_assert_num_queries(2), pytest.raises(postcodes.UnknownPostcode):
            postcodes.lookup(absent)


def test_a_row_imported_from_onspd_is_kept():
    Postcode.objects.create(postcode="CF37 1AB", easting=1, northing=2, lsoa="W01001101")
    packaged_postcodes_load(letter="C", districts=["CF37"])
    row = Postcode.objects.get(postcode="CF37 1AB")
    assert (row.easting, row.northing, row.lsoa) == (1, 2, "W01001101")


def test_a_districts_postcodes_are_read_from_the_package_without_writing_them():
    found = postcodes.district_postcodes("cf37 ", "CF10", "SA1", "")
    assert sorted(found) == ["CF10", "CF37", "SA1"]
    assert found["CF37"] == sorted(found["CF37"]) and len(found["CF37"]) > 100
    assert all(code.startswith("CF37 ") for code in found["CF37"])
    assert not Postcode.objects.exists() and not PackagedPostcodeLoad.objects.exists()
    # The same postcodes as the district loaded into the table.
    packaged_postcodes_load(letter="C", districts=["CF37"])
    assert found["CF37"] == list(
        Postcode.objects.filter(postcode__startswith="CF37 ")
        .order_by("postcode")
        .values_list("postcode", flat=True)
    )


def test_put_writes_only_the_postcodes_given_and_a_later_lookup_loads_the_rest():
    loaded = Postcode(postcode="CF37 1AB", easting=1, northing=2, imd_decile=3)
    loaded.save()  # a row already there (an invented decile, say) is kept as it is
    count = postcodes.put("cf37 1ab", "CF37 1AD", "SA1 1AD", "ZZ99 9ZZ")
    assert count == 3  # the package has no ZZ99 9ZZ
    assert sorted(Postcode.objects.values_list("postcode", flat=True)) == [
        "CF37 1AB",
        "CF37 1AD",
        "SA1 1AD",
    ]
    assert not PackagedPostcodeLoad.objects.exists()  # their districts are not whole
    assert postcodes.lookup("CF37 1AD").easting > 0
    # Another postcode of the district: the rest of it comes at its first lookup.
    other = next(p for p in postcodes.district_postcodes("CF37")["CF37"] if p > "CF37 1AD")
    assert postcodes.lookup(other).local_authority
    assert Postcode.objects.filter(postcode__startswith="CF37 ").count() > 100
    row = Postcode.objects.get(postcode="CF37 1AB")
    assert (row.easting, row.northing, row.imd_decile) == (1, 2, 3)


def test_the_command_loads_whole_letters_once():
    out = StringIO()
    call_command("load_packaged_postcodes", "--letters", "JZ", stdout=out)
    loaded = Postcode.objects.count()
    assert loaded > 0
    assert set(PackagedPostcodeLoad.objects.values_list("prefix", flat=True)) == {"J", "Z"}
    call_command("load_packaged_postcodes", "--letters", "JZ", stdout=out)
    assert Postcode.objects.count() == loaded
    # A whole letter loaded: a district of it is never loaded again.
    never = mock.patch.object(packaged_postcodes, "_rows", side_effect=AssertionError("decoded"))
    with never, pytest.raises(PostcodeError):
        postcodes.lookup("ZE9 9ZZ")


def test_the_command_refuses_a_letter_the_package_lacks():
    with pytest.raises(CommandError, match="--letters: the package has no postcodes for Q"):
        call_command("load_packaged_postcodes", "--letters", "q", stdout=StringIO())
    assert not Postcode.objects.exists()


def test_several_districts_of_a_letter_come_from_one_decoding():
    decoded = []
    real = packaged_postcodes._rows

    def counting(letter, districts=frozenset()):
        decoded.append(letter)
        return real(letter, districts)

    with mock.patch.object(packaged_postcodes, "_rows", counting):
        assert packaged_postcodes.packaged_postcodes_ensure("cf37", "CF10", "SA1", "CF37 ")
        assert not packaged_postcodes.packaged_postcodes_ensure("CF37", "SA1")  # all there
    assert sorted(decoded) == ["C", "S"]
    loads = dict(PackagedPostcodeLoad.objects.values_list("prefix", "rows"))
    assert sorted(loads) == ["CF10", "CF37", "SA1"]
    for district, rows in loads.items():
        assert rows == Postcode.objects.filter(postcode__startswith=f"{district} ").count() > 100
    assert not Postcode.objects.filter(postcode__startswith="CF11 ").exists()
    # The same rows as a district loaded alone.
    cf37 = set(Postcode.objects.filter(postcode__startswith="CF37 ").values_list("postcode"))
    Postcode.objects.all().delete()
    packaged_postcodes_load(letter="C", districts=["CF37"])
    assert set(Postcode.objects.values_list("postcode")) == cf37
