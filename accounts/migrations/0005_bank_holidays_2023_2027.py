"""Bank holidays in England and Wales, 2023 to 2027 (as published on GOV.UK)."""

from datetime import date

from django.db import migrations

NEW_YEAR = ("New Year's Day", "Dydd Calan")
GOOD_FRIDAY = ("Good Friday", "Dydd Gwener y Groglith")
EASTER_MONDAY = ("Easter Monday", "Dydd Llun y Pasg")
EARLY_MAY = ("Early May bank holiday", "Gŵyl banc dechrau mis Mai")
SPRING = ("Spring bank holiday", "Gŵyl banc y gwanwyn")
SUMMER = ("Summer bank holiday", "Gŵyl banc yr haf")
CHRISTMAS = ("Christmas Day", "Dydd Nadolig")
BOXING_DAY = ("Boxing Day", "Gŵyl San Steffan")
CORONATION = (
    "Bank holiday for the coronation of King Charles III",
    "Gŵyl banc ar gyfer coroni'r Brenin Charles III",
)


def substitute(names):
    english, welsh = names
    return (f"{english} (substitute day)", f"{welsh} (diwrnod amgen)")


HOLIDAYS = [
    (date(2023, 1, 2), substitute(NEW_YEAR)),
    (date(2023, 4, 7), GOOD_FRIDAY),
    (date(2023, 4, 10), EASTER_MONDAY),
    (date(2023, 5, 1), EARLY_MAY),
    (date(2023, 5, 8), CORONATION),
    (date(2023, 5, 29), SPRING),
    (date(2023, 8, 28), SUMMER),
    (date(2023, 12, 25), CHRISTMAS),
    (date(2023, 12, 26), BOXING_DAY),
    (date(2024, 1, 1), NEW_YEAR),
    (date(2024, 3, 29), GOOD_FRIDAY),
    (date(2024, 4, 1), EASTER_MONDAY),
    (date(2024, 5, 6), EARLY_MAY),
    (date(2024, 5, 27), SPRING),
    (date(2024, 8, 26), SUMMER),
    (date(2024, 12, 25), CHRISTMAS),
    (date(2024, 12, 26), BOXING_DAY),
    (date(2025, 1, 1), NEW_YEAR),
    (date(2025, 4, 18), GOOD_FRIDAY),
    (date(2025, 4, 21), EASTER_MONDAY),
    (date(2025, 5, 5), EARLY_MAY),
    (date(2025, 5, 26), SPRING),
    (date(2025, 8, 25), SUMMER),
    (date(2025, 12, 25), CHRISTMAS),
    (date(2025, 12, 26), BOXING_DAY),
    (date(2026, 1, 1), NEW_YEAR),
    (date(2026, 4, 3), GOOD_FRIDAY),
    (date(2026, 4, 6), EASTER_MONDAY),
    (date(2026, 5, 4), EARLY_MAY),
    (date(2026, 5, 25), SPRING),
    (date(2026, 8, 31), SUMMER),
    (date(2026, 12, 25), CHRISTMAS),
    (date(2026, 12, 28), substitute(BOXING_DAY)),
    (date(2027, 1, 1), NEW_YEAR),
    (date(2027, 3, 26), GOOD_FRIDAY),
    (date(2027, 3, 29), EASTER_MONDAY),
    (date(2027, 5, 3), EARLY_MAY),
    (date(2027, 5, 31), SPRING),
    (date(2027, 8, 30), SUMMER),
    (date(2027, 12, 27), substitute(CHRISTMAS)),
    (date(2027, 12, 28), substitute(BOXING_DAY)),
]


def load(apps, schema_editor):
    BankHoliday = apps.get_model("accounts", "BankHoliday")
    for day, (name, name_cy) in HOLIDAYS:
        BankHoliday.objects.update_or_create(date=day, defaults={"name": name, "name_cy": name_cy})


def unload(apps, schema_editor):
    BankHoliday = apps.get_model("accounts", "BankHoliday")
    BankHoliday.objects.filter(date__in=[day for day, _names in HOLIDAYS]).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_bank_holidays")]

    operations = [migrations.RunPython(load, unload)]
