"""The outcome instruments every scheme may use, free of licence fees.

Data, entered from the instruments' public definitions (Office for National
Statistics, "Personal well-being user guidance" and "Measuring loneliness:
guidance for use of the national indicators on surveys"). Welsh wording
follows the National Survey for Wales where it asks the same questions.
Safe to run again: each instrument and item is updated in place by its code
and order.

SWEMWBS is not here: its wording is licensed by Warwick Medical School. A
scheme holding the licence adds it with `manage.py add_swemwbs`, which uses
the scoring shipped in linkworkers/instrument_data/swemwbs.json.
"""

from django.db import migrations

ONS_SOURCE = (
    "Office for National Statistics, free to use with acknowledgement "
    "(Open Government Licence)."
)

INSTRUMENTS = [
    {
        "code": "ons4",
        "name": "ONS4 personal wellbeing",
        "name_cy": "Llesiant personol ONS4",
        "description": (
            "Four questions, each answered from 0 (not at all) to 10 (completely) and each "
            "reported separately. For anxiety a lower score is better."
        ),
        "description_cy": (
            "Pedwar cwestiwn, pob un yn cael ei ateb o 0 (ddim o gwbl) i 10 (yn llwyr) a'i "
            "adrodd ar wahân. Ar gyfer gorbryder, mae sgôr is yn well."
        ),
        "licence": ONS_SOURCE,
        "scoring": "per_item",
        "higher_is_better": True,
        "items": [
            ("Life satisfaction", "Bodlonrwydd â bywyd",
             "Overall, how satisfied are you with your life nowadays?",
             "Yn gyffredinol, pa mor fodlon ydych chi â'ch bywyd y dyddiau hyn?", True),
            ("Worthwhile", "Gwerth chweil",
             "Overall, to what extent do you feel that the things you do in your life are "
             "worthwhile?",
             "Yn gyffredinol, i ba raddau ydych chi'n teimlo bod y pethau rydych chi'n eu gwneud "
             "yn eich bywyd yn werth chweil?", True),
            ("Happiness", "Hapusrwydd",
             "Overall, how happy did you feel yesterday?",
             "Yn gyffredinol, pa mor hapus oeddech chi'n teimlo ddoe?", True),
            ("Anxiety", "Gorbryder",
             "Overall, how anxious did you feel yesterday?",
             "Yn gyffredinol, pa mor bryderus oeddech chi'n teimlo ddoe?", False),
        ],
        "min": 0,
        "max": 10,
        "answers": {
            "0": {"en": "Not at all", "cy": "Ddim o gwbl"},
            "10": {"en": "Completely", "cy": "Yn llwyr"},
        },
    },
    {
        "code": "ucla3",
        "name": "UCLA three-item loneliness scale",
        "name_cy": "Graddfa unigrwydd UCLA tair eitem",
        "description": (
            "The ONS-recommended wording of the three-item UCLA loneliness scale. Each answer "
            "scores 1 (hardly ever or never) to 3 (often); the total runs from 3 to 9 and a "
            "higher total means lonelier, so a lower score is better."
        ),
        "description_cy": (
            "Geiriad y raddfa unigrwydd UCLA tair eitem a argymhellir gan y SYG. Mae pob ateb "
            "yn sgorio 1 (prin byth neu byth) i 3 (yn aml); mae'r cyfanswm rhwng 3 a 9 ac mae "
            "cyfanswm uwch yn golygu mwy unig, felly mae sgôr is yn well."
        ),
        "licence": ONS_SOURCE + " UCLA Loneliness Scale: Hughes et al. (2004), three-item short form.",
        "scoring": "sum",
        "higher_is_better": False,
        "items": [
            ("Lack companionship", "Diffyg cwmnïaeth",
             "How often do you feel that you lack companionship?",
             "Pa mor aml ydych chi'n teimlo nad oes gennych gwmnïaeth?", False),
            ("Left out", "Cael eich gadael allan",
             "How often do you feel left out?",
             "Pa mor aml ydych chi'n teimlo eich bod yn cael eich gadael allan?", False),
            ("Isolated from others", "Ynysig oddi wrth eraill",
             "How often do you feel isolated from others?",
             "Pa mor aml ydych chi'n teimlo'n ynysig oddi wrth bobl eraill?", False),
        ],
        "min": 1,
        "max": 3,
        "answers": {
            "1": {"en": "Hardly ever or never", "cy": "Prin byth neu byth"},
            "2": {"en": "Some of the time", "cy": "Weithiau"},
            "3": {"en": "Often", "cy": "Yn aml"},
        },
    },
    {
        "code": "loneliness-direct",
        "name": "How often do you feel lonely? (ONS direct question)",
        "name_cy": "Pa mor aml ydych chi'n teimlo'n unig? (cwestiwn uniongyrchol y SYG)",
        "description": (
            "The ONS direct measure of loneliness. Answers are coded 1 (often or always) to "
            "5 (never), so a higher score means less lonely and is better."
        ),
        "description_cy": (
            "Mesur uniongyrchol y SYG o unigrwydd. Caiff atebion eu codio o 1 (yn aml neu bob "
            "amser) i 5 (byth), felly mae sgôr uwch yn golygu llai unig ac mae'n well."
        ),
        "licence": ONS_SOURCE,
        "scoring": "sum",
        "higher_is_better": True,
        "items": [
            ("Feeling lonely", "Teimlo'n unig",
             "How often do you feel lonely?",
             "Pa mor aml ydych chi'n teimlo'n unig?", True),
        ],
        "min": 1,
        "max": 5,
        "answers": {
            "1": {"en": "Often or always", "cy": "Yn aml neu bob amser"},
            "2": {"en": "Some of the time", "cy": "Weithiau"},
            "3": {"en": "Occasionally", "cy": "Yn achlysurol"},
            "4": {"en": "Hardly ever", "cy": "Prin byth"},
            "5": {"en": "Never", "cy": "Byth"},
        },
    },
]


def load_instruments(apps, schema_editor):
    Instrument = apps.get_model("linkworkers", "Instrument")
    Item = apps.get_model("linkworkers", "Item")
    for definition in INSTRUMENTS:
        instrument, _created = Instrument.objects.update_or_create(
            code=definition["code"],
            defaults={
                key: definition[key]
                for key in ("name", "name_cy", "description", "description_cy", "licence",
                            "scoring", "higher_is_better")
            } | {"scheme": None, "active": True, "conversion_table": {}},
        )
        for order, (label, label_cy, text, text_cy, better) in enumerate(definition["items"], 1):
            Item.objects.update_or_create(
                instrument=instrument,
                order=order,
                defaults={
                    "label": label,
                    "label_cy": label_cy,
                    "text": text,
                    "text_cy": text_cy,
                    "min_value": definition["min"],
                    "max_value": definition["max"],
                    "answer_labels": definition["answers"],
                    "reverse_scored": False,
                    "higher_is_better": better,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("linkworkers", "0003_outcomes")]

    operations = [migrations.RunPython(load_instruments, migrations.RunPython.noop)]
