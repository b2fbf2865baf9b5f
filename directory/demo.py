# ruff: noqa: E501 -- demo prose in two languages reads better unbroken
"""Demo data for the directory: about 60 fictional services in the South Wales valleys and coast.

The groups, providers, venues, phone numbers and people are invented; the
postcodes are real (checked against the packaged ONS data) so that distances
work. Every row is keyed by a stable code or a UUID made from one, and is only
created when missing, so running the seed twice adds nothing and keeps any
edits made through the app.
"""

import uuid
from datetime import time, timedelta

from django.utils import timezone

from accounts.models import Organisation

from . import postcodes
from .demo_upkeep import seed_upkeep
from .models import (
    Location,
    Provider,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from .selectors import SEARCH_TAXONOMY
from .services import service_refresh_search

NAMESPACE = uuid.UUID("6f1c3e55-3a51-4f7e-9a38-2f4a0b7d9c10")

# (code, English, Welsh, parent code)
CATEGORIES = [
    ("arts-creativity", "Arts and creativity", "Celf a chreadigrwydd", None),
    ("music-singing", "Music and singing", "Cerddoriaeth a chanu", "arts-creativity"),
    ("gardening-green-space", "Gardening and green space", "Garddio a mannau gwyrdd", None),
    ("physical-activity", "Physical activity", "Gweithgarwch corfforol", None),
    ("walking", "Walking", "Cerdded", "physical-activity"),
    (
        "befriending-social",
        "Befriending and social groups",
        "Cyfeillio a grwpiau cymdeithasol",
        None,
    ),
    ("mens-groups", "Men's groups", "Grwpiau dynion", None),
    ("money-debt", "Money and debt", "Arian a dyled", None),
    ("housing", "Housing", "Tai", None),
    ("carers", "Carers", "Gofalwyr", None),
    ("bereavement", "Bereavement", "Profedigaeth", None),
    ("learning-skills", "Learning and skills", "Dysgu a sgiliau", None),
    ("digital-skills", "Digital skills", "Sgiliau digidol", "learning-skills"),
    ("volunteering", "Volunteering", "Gwirfoddoli", None),
    ("mental-health", "Mental health support", "Cymorth iechyd meddwl", None),
    ("food", "Food", "Bwyd", None),
]

# What people type when they need what a category offers (README, "Directory"), by code:
# (English, Welsh), one a line. Directory editors keep them at /directory/review/categories/.
NEED_WORDS = {
    "arts-creativity": (
        "art\narts\ncraft\ncrafts\ncreative\ndrawing\npainting\npottery\nphotography\nknitting\n"
        "poetry\npoems",
        "celf\ncrefft\ncrefftau\ncreadigol\narlunio\npeintio\ncrochenwaith\nffotograffiaeth\ngwau",
    ),
    "music-singing": (
        "music\nsinging\nsing\nchoir\nsongs\nukulele\ninstrument",
        "cerddoriaeth\ncanu\ncor\ncorau\ncaneuon",
    ),
    "gardening-green-space": (
        "gardening\ngarden\nallotment\ngrowing\ngrow vegetables\nplants\nnature\noutdoors\n"
        "green space\nconservation",
        "garddio\ngardd\nrhandir\ntyfu\nllysiau\nnatur\nawyr agored\ncadwraeth",
    ),
    "physical-activity": (
        "exercise\nfitness\nkeep fit\nget active\nsport\nsports\nswimming\nfootball\n"
        "physical inactivity\ninactive\nweight\nlose weight\nweight loss\nbalance\nstrength\nmobility",
        "ymarfer corff\nchwaraeon\nnofio\npel-droed\nheini\ncadw'n heini\npwysau\ncydbwysedd",
    ),
    "walking": (
        "walk\nwalks\nwalking\nhiking\nrambling",
        "cerdded\ntaith gerdded\nteithiau cerdded",
    ),
    "befriending-social": (
        "loneliness\nlonely\nisolation\nisolated\nalone\nsocial isolation\ncompany\nfriends\n"
        "friendship\nmake friends\nmeet people\nhousebound\nbefriender",
        "unigrwydd\nunig\nynysig\narwahanrwydd\ncwmni\nffrindiau\ncyfeillgarwch\ncyfaill\n"
        "cwrdd a phobl",
    ),
    "mens-groups": (
        "men\nman\nmale\nmen's shed\nshed\nblokes",
        "dynion\ndyn\nsied",
    ),
    "money-debt": (
        "debt\ndebts\nmoney\nmoney worries\nmoney advice\nbenefits\nbudgeting\nbills\narrears\n"
        "financial\ncost of living\npoverty\nuniversal credit",
        "dyled\ndyledion\narian\npryderon ariannol\nbudd-daliadau\ncyllidebu\nbiliau\nol-ddyledion\n"
        "costau byw\ntlodi\ncredyd cynhwysol",
    ),
    "housing": (
        "housing\nhome\ntenancy\nrent\nrent arrears\nlandlord\nhomeless\nhomelessness\neviction\n"
        "repairs",
        "tai\ncartref\ntenantiaeth\nrhent\nlandlord\ndigartref\ndigartrefedd\ntroi allan",
    ),
    "carers": (
        "carer\ncarers\ncaring\nunpaid carer\nlooking after someone\nrespite",
        "gofalwr\ngofalwyr\ngofalu\nseibiant",
    ),
    "bereavement": (
        "grief\ngrieving\nbereaved\nloss\nlost\nlost someone\ndied\npassed away\ndeath\nwidow\nwidowed\nwidower",
        "galar\ngalaru\ncolled\ncolli rhywun\nprofedigaeth\nmarwolaeth",
    ),
    "learning-skills": (
        "learning\nlearn\ncourse\ncourses\neducation\nskills\nlessons\nreading\nwriting",
        "dysgu\ncwrs\ncyrsiau\naddysg\nsgiliau\ngwersi\ndarllen\nysgrifennu",
    ),
    "digital-skills": (
        "computer\ncomputers\ninternet\nonline\nsmartphone\ntablet\nemail\ndigital\nvideo calls\n"
        "digital exclusion",
        "cyfrifiadur\nrhyngrwyd\nar-lein\nffon clyfar\nllechen\ne-bost\ndigidol",
    ),
    "volunteering": (
        "volunteer\nvolunteering\ngive back\nhelp others",
        "gwirfoddoli\ngwirfoddolwr\nhelpu eraill",
    ),
    "mental-health": (
        "mental health\nanxiety\nanxious\ndepression\ndepressed\nlow mood\nstress\nstressed\n"
        "worry\nworried\npanic\nwellbeing\nmindfulness\nconfidence",
        "iechyd meddwl\ngorbryder\npryder\niselder\nhwyliau isel\nstraen\nllesiant\nhyder",
    ),
    "food": (
        "food\ncooking\ncook\nmeals\nlunch\nhungry\nfood bank\npantry\nhealthy eating\nnutrition",
        "bwyd\ncoginio\nprydau\ncinio\nbanc bwyd\npantri\nbwyta'n iach",
    ),
}

# key: (English, Welsh, linked accounts Organisation name or None, phone)
PROVIDERS = {
    "growing": (
        "Teg Valley Growing Together",
        "Tyfu Gyda'n Gilydd Dyffryn Teg",
        True,
        "029 2018 0101",
    ),
    "shed": ("Glannau Men's Shed", "Sied Dynion Glannau", True, "029 2018 0102"),
    "arts": ("Castell Arts Collective", "Cydweithfa Gelf y Castell", True, "029 2018 0103"),
    "walks": ("Valleys Walking Friends", "Cyfeillion Cerdded y Cymoedd", False, "029 2018 0104"),
    "advice": ("Coalfield Advice Centre", "Canolfan Gyngor Maes Glo", False, "029 2018 0105"),
    "carers": ("Cwm Carers Network", "Rhwydwaith Gofalwyr y Cwm", False, "029 2018 0106"),
    "mind": ("Afon Wellbeing Hub", "Hyb Llesiant Afon", False, "029 2018 0107"),
    "food": ("Harbour Community Pantry", "Pantri Cymunedol yr Harbwr", False, "029 2018 0108"),
    "learn": ("Glannau Learning Partnership", "Partneriaeth Dysgu Glannau", False, "029 2018 0109"),
    "volunteer": ("Teg Volunteer Centre", "Canolfan Wirfoddoli Teg", False, "029 2018 0110"),
    "bereavement": (
        "Stepping Stones Bereavement Support",
        "Cerrig Camu: Cymorth Profedigaeth",
        False,
        "029 2018 0111",
    ),
    "housing": ("Valleys Tenancy Support", "Cymorth Tenantiaeth y Cymoedd", False, "029 2018 0112"),
    "befriend": ("Cwtch Befriending", "Cyfeillio Cwtch", False, "029 2018 0113"),
    "sport": ("Coast Active", "Arfordir Egnïol", False, "029 2018 0114"),
}

# key: (English, Welsh, street, real postcode)
TOWNS = {
    "pontypridd": ("Pontypridd", "Pontypridd", "Taff Street", "CF37 1AB"),
    "treorchy": ("Treorchy", "Treorci", "Bute Street", "CF42 6AB"),
    "ferndale": ("Ferndale", "Glynrhedynog", "High Street", "CF43 3AB"),
    "tonypandy": ("Tonypandy", "Tonypandy", "Dunraven Street", "CF40 2AB"),
    "aberdare": ("Aberdare", "Aberdâr", "Victoria Square", "CF44 7AB"),
    "merthyr": ("Merthyr Tydfil", "Merthyr Tudful", "Glebeland Street", "CF47 8AB"),
    "caerphilly": ("Caerphilly", "Caerffili", "Cardiff Road", "CF83 1AB"),
    "bargoed": ("Bargoed", "Bargod", "Hanbury Road", "CF81 8AB"),
    "barry": ("Barry", "Y Barri", "Holton Road", "CF62 7AB"),
    "penarth": ("Penarth", "Penarth", "Windsor Road", "CF64 1AB"),
    "bridgend": ("Bridgend", "Pen-y-bont ar Ogwr", "Wyndham Street", "CF31 1AB"),
    "porthcawl": ("Porthcawl", "Porthcawl", "John Street", "CF36 3AB"),
    "neath": ("Neath", "Castell-nedd", "Windsor Road", "SA11 1AB"),
    "porttalbot": ("Port Talbot", "Port Talbot", "Station Road", "SA13 1AB"),
    "swansea": ("Swansea", "Abertawe", "Wind Street", "SA1 1AD"),
    "ebbwvale": ("Ebbw Vale", "Glynebwy", "Libanus Road", "NP23 6AB"),
    "abergavenny": ("Abergavenny", "Y Fenni", "Frogmore Street", "NP7 5AB"),
    "newport": ("Newport", "Casnewydd", "Commercial Street", "NP20 1AB"),
    "pontypool": ("Pontypool", "Pont-y-pŵl", "Crane Street", "NP4 6AB"),
}

FREE = ("", "")
MON, TUE, WED, THU, FRI, SAT = 1, 2, 3, 4, 5, 6

# One entry per kind of service; it runs in each of its towns (one listing per town).
SERVICES = [
    {
        "key": "community-growing",
        "provider": "growing",
        "venue": "garden",
        "towns": ["treorchy", "pontypridd", "ferndale", "merthyr"],
        "categories": ["gardening-green-space"],
        "name": ("Community growing group", "Grŵp tyfu cymunedol"),
        "description": (
            "Grow fruit, vegetables and flowers with friendly neighbours in our community garden. "
            "No experience needed: we provide the tools, gloves and a cup of tea.",
            "Tyfu ffrwythau, llysiau a blodau gyda chymdogion cyfeillgar yn ein gardd gymunedol. "
            "Does dim angen profiad: rydyn ni'n darparu'r offer, menig a phaned.",
        ),
        "cost": FREE,
        "sessions": [(TUE, "10:00", "13:00"), (THU, "10:00", "13:00")],
        "welsh": True,
        "route": "both",
    },
    {
        "key": "green-gym",
        "provider": "growing",
        "venue": "garden",
        "towns": ["aberdare"],
        "categories": ["gardening-green-space", "physical-activity", "volunteering"],
        "name": ("Green gym conservation volunteers", "Campfa werdd: gwirfoddolwyr cadwraeth"),
        "description": (
            "Get active outdoors: clear paths, plant trees and look after local woodland in a small, "
            "supportive team.",
            "Byddwch yn egnïol yn yr awyr agored: clirio llwybrau, plannu coed a gofalu am goetir "
            "lleol mewn tîm bach, cefnogol.",
        ),
        "cost": FREE,
        "sessions": [(WED, "10:00", "14:00")],
        "capacity": ("waiting_list", "1_to_3_months"),
    },
    {
        "key": "grow-and-cook",
        "provider": "growing",
        "venue": "garden",
        "towns": ["tonypandy"],
        "categories": ["gardening-green-space", "food"],
        "name": ("Grow and cook", "Tyfu a choginio"),
        "description": (
            "Pick what we have grown together and cook a simple, healthy lunch from it.",
            "Casglu'r hyn rydyn ni wedi'i dyfu gyda'n gilydd a choginio cinio syml, iach ohono.",
        ),
        "cost": ("£2 a session, lunch included", "£2 y sesiwn, gan gynnwys cinio"),
        "sessions": [(FRI, "11:00", "14:00")],
        "stale": True,
    },
    {
        "key": "allotment-buddies",
        "provider": "growing",
        "venue": "garden",
        "towns": ["pontypridd"],
        "categories": ["gardening-green-space", "befriending-social"],
        "name": ("Allotment buddies", "Cyfeillion y rhandir"),
        "description": (
            "A volunteer buddy works an allotment plot alongside you, for people who find it hard "
            "to get out on their own.",
            "Mae cyfaill gwirfoddol yn gweithio ar randir wrth eich ochr, i bobl sy'n ei chael hi'n "
            "anodd mynd allan ar eu pen eu hunain.",
        ),
        "cost": FREE,
        "sessions": [(SAT, "10:00", "12:00")],
        "route": "link_worker",
    },
    {
        "key": "mens-shed",
        "provider": "shed",
        "venue": "centre",
        "towns": ["barry", "porthcawl", "bridgend", "newport"],
        "categories": ["mens-groups", "befriending-social"],
        "name": ("Men's Shed", "Sied Dynion"),
        "description": (
            "A workshop where men meet to make and mend things, share skills and talk. "
            "Woodwork, bike repairs and plenty of tea.",
            "Gweithdy lle mae dynion yn cwrdd i wneud a thrwsio pethau, rhannu sgiliau a sgwrsio. "
            "Gwaith coed, trwsio beiciau a digon o de.",
        ),
        "cost": ("£1 a visit towards tea and materials", "£1 yr ymweliad at de a deunyddiau"),
        "sessions": [(MON, "10:00", "15:00"), (WED, "10:00", "15:00")],
        "route": "self",
        "eligibility": ("Men aged 18 and over.", "Dynion 18 oed a hŷn."),
        "ages": (18, None),
    },
    {
        "key": "mens-walk-talk",
        "provider": "shed",
        "venue": "centre",
        "towns": ["neath"],
        "categories": ["mens-groups", "walking", "mental-health"],
        "name": ("Men's walking and talking group", "Grŵp cerdded a siarad i ddynion"),
        "description": (
            "An easy walk along the canal followed by a chat over coffee. It is fine just to listen.",
            "Taith gerdded hawdd ar hyd y gamlas ac yna sgwrs dros goffi. Mae'n iawn dim ond gwrando.",
        ),
        "cost": FREE,
        "sessions": [(THU, "10:00", "12:00")],
        "route": "self",
    },
    {
        "key": "creative-wellbeing",
        "provider": "arts",
        "venue": "centre",
        "towns": ["caerphilly", "merthyr"],
        "categories": ["arts-creativity", "mental-health"],
        "name": ("Creative wellbeing art classes", "Dosbarthiadau celf er llesiant"),
        "description": (
            "Relaxed art sessions with a local artist: drawing, painting and printmaking for "
            "complete beginners.",
            "Sesiynau celf hamddenol gydag artist lleol: arlunio, peintio a gwneud printiau i "
            "ddechreuwyr llwyr.",
        ),
        "cost": (
            "£3 a session; free when a link worker refers you",
            "£3 y sesiwn; am ddim os yw gweithiwr cyswllt yn eich atgyfeirio",
        ),
        "sessions": [(TUE, "13:00", "15:00")],
        "welsh": True,
    },
    {
        "key": "community-choir",
        "provider": "arts",
        "venue": "centre",
        "towns": ["treorchy", "swansea"],
        "categories": ["music-singing", "befriending-social"],
        "name": ("Community choir", "Côr cymunedol"),
        "description": (
            "Sing together for the joy of it. No auditions and no need to read music.",
            "Canu gyda'n gilydd er mwyn y pleser. Dim clyweliadau a dim angen darllen cerddoriaeth.",
        ),
        "cost": FREE,
        "sessions": [(WED, "19:00", "21:00")],
        "welsh": True,
        "route": "self",
    },
    {
        "key": "creative-writing",
        "provider": "arts",
        "venue": "centre",
        "towns": ["abergavenny"],
        "categories": ["arts-creativity", "learning-skills"],
        "name": ("Creative writing circle", "Cylch ysgrifennu creadigol"),
        "description": (
            "Write poems and stories in a small, welcoming group and share them if you wish.",
            "Ysgrifennu cerddi a straeon mewn grŵp bach, croesawgar a'u rhannu os hoffech.",
        ),
        "cost": FREE,
        "sessions": [(MON, "14:00", "16:00")],
        "stale": True,
    },
    {
        "key": "health-walks",
        "provider": "walks",
        "venue": "centre",
        "towns": ["pontypool", "ebbwvale", "penarth", "caerphilly", "aberdare", "bridgend"],
        "categories": ["walking"],
        "name": ("Health walks", "Teithiau cerdded iechyd"),
        "description": (
            "Short, gentle walks of about an hour led by trained volunteers, at an easy pace "
            "with stops to rest.",
            "Teithiau cerdded byr, ysgafn o tua awr dan arweiniad gwirfoddolwyr hyfforddedig, "
            "ar gyflymder hawdd gydag arosfannau i orffwys.",
        ),
        "cost": FREE,
        "sessions": [(FRI, "10:00", "11:30")],
        "route": "self",
        "referrals": False,
    },
    {
        "key": "walking-football",
        "provider": "sport",
        "venue": "centre",
        "towns": ["newport", "porttalbot"],
        "categories": ["physical-activity", "mens-groups"],
        "name": ("Walking football", "Pêl-droed cerdded"),
        "description": (
            "Football at walking pace: no running, no tackling, lots of laughs.",
            "Pêl-droed ar gyflymder cerdded: dim rhedeg, dim taclo, llawer o hwyl.",
        ),
        "cost": ("£2 a session", "£2 y sesiwn"),
        "sessions": [(TUE, "18:00", "19:00")],
        "route": "self",
        "ages": (50, None),
        "eligibility": ("Anyone aged 50 or over.", "Unrhyw un 50 oed neu hŷn."),
    },
    {
        "key": "chair-exercise",
        "provider": "sport",
        "venue": "centre",
        "towns": ["barry", "merthyr"],
        "categories": ["physical-activity"],
        "name": ("Gentle chair exercise", "Ymarfer corff ysgafn mewn cadair"),
        "description": (
            "Seated exercise to music to build strength and balance, led by a qualified instructor.",
            "Ymarfer corff ar eich eistedd i gerddoriaeth i fagu cryfder a chydbwysedd, dan "
            "arweiniad hyfforddwr cymwys.",
        ),
        "cost": FREE,
        "sessions": [(THU, "11:00", "12:00")],
    },
    {
        "key": "swim-for-health",
        "provider": "sport",
        "venue": "centre",
        "towns": ["bridgend"],
        "categories": ["physical-activity"],
        "name": ("Swim for health", "Nofio er iechyd"),
        "description": (
            "Quiet pool sessions for adults with long-term health conditions, with a lifeguard "
            "trained in exercise referral.",
            "Sesiynau pwll tawel i oedolion â chyflyrau iechyd hirdymor, gydag achubwr bywyd "
            "wedi'i hyfforddi mewn atgyfeirio at ymarfer corff.",
        ),
        "cost": ("£2.50 a session", "£2.50 y sesiwn"),
        "sessions": [(MON, "09:00", "10:00"), (FRI, "09:00", "10:00")],
        "capacity": ("waiting_list", "under_1_month"),
        "route": "link_worker",
    },
    {
        "key": "money-advice",
        "provider": "advice",
        "venue": "centre",
        "towns": ["pontypridd", "merthyr", "ebbwvale", "swansea"],
        "categories": ["money-debt"],
        "name": ("Money and debt advice", "Cyngor ar arian a dyled"),
        "description": (
            "Free, confidential advice on debts, benefits and budgeting from trained advisers. "
            "We can talk to the people you owe for you.",
            "Cyngor cyfrinachol am ddim ar ddyledion, budd-daliadau a chyllidebu gan gynghorwyr "
            "hyfforddedig. Gallwn siarad â'r bobl mae arnoch arian iddynt ar eich rhan.",
        ),
        "cost": FREE,
        "sessions": [(TUE, "09:30", "16:00"), (THU, "09:30", "16:00")],
        "welsh": True,
        "capacity": ("waiting_list", "under_1_month"),
    },
    {
        "key": "benefits-drop-in",
        "provider": "advice",
        "venue": "centre",
        "towns": ["aberdare"],
        "categories": ["money-debt"],
        "name": ("Benefits check drop-in", "Sesiwn galw heibio gwirio budd-daliadau"),
        "description": (
            "Find out in half an hour whether you are getting all the benefits you are entitled to.",
            "Darganfod mewn hanner awr a ydych chi'n cael yr holl fudd-daliadau sy'n ddyledus i chi.",
        ),
        "cost": FREE,
        "sessions": [(WED, "10:00", "13:00")],
        "route": "self",
        "referrals": False,
    },
    {
        "key": "energy-help",
        "provider": "advice",
        "venue": "centre",
        "towns": ["newport"],
        "categories": ["money-debt", "housing"],
        "name": ("Energy bills help", "Help gyda biliau ynni"),
        "description": (
            "Help to cut energy bills, deal with arrears and apply for grants for a warmer home.",
            "Help i leihau biliau ynni, delio ag ôl-ddyledion a gwneud cais am grantiau am gartref "
            "cynhesach.",
        ),
        "cost": FREE,
        "sessions": [(FRI, "10:00", "12:00")],
        "stale": True,
    },
    {
        "key": "tenancy-support",
        "provider": "housing",
        "venue": "centre",
        "towns": ["caerphilly", "neath"],
        "categories": ["housing"],
        "name": ("Tenancy support", "Cymorth tenantiaeth"),
        "description": (
            "A support worker helps you keep your home: rent arrears, repairs, letters from the "
            "landlord and settling in.",
            "Mae gweithiwr cymorth yn eich helpu i gadw'ch cartref: ôl-ddyledion rhent, atgyweirio, "
            "llythyrau gan y landlord ac ymgartrefu.",
        ),
        "cost": FREE,
        "sessions": [(MON, "09:00", "17:00"), (TUE, "09:00", "17:00"), (WED, "09:00", "17:00")],
        "route": "link_worker",
        "capacity": ("waiting_list", "1_to_3_months"),
    },
    {
        "key": "carers-cuppa",
        "provider": "carers",
        "venue": "centre",
        "towns": ["bargoed", "tonypandy"],
        "categories": ["carers", "befriending-social"],
        "name": ("Carers' cuppa", "Paned i ofalwyr"),
        "description": (
            "Time for yourself with other unpaid carers: a cuppa, a chat and information about "
            "carers' rights.",
            "Amser i chi'ch hun gyda gofalwyr di-dâl eraill: paned, sgwrs a gwybodaeth am hawliau "
            "gofalwyr.",
        ),
        "cost": FREE,
        "sessions": [(TUE, "10:30", "12:00")],
        "welsh": True,
        "route": "self",
    },
    {
        "key": "young-adult-carers",
        "provider": "carers",
        "venue": "centre",
        "towns": ["pontypridd"],
        "categories": ["carers"],
        "name": ("Young adult carers group", "Grŵp gofalwyr sy'n oedolion ifanc"),
        "description": (
            "Meet other young people who look after someone at home, with trips and a break from "
            "caring.",
            "Cwrdd â phobl ifanc eraill sy'n gofalu am rywun gartref, gyda theithiau a seibiant "
            "o ofalu.",
        ),
        "cost": FREE,
        "sessions": [(THU, "17:00", "19:00")],
        "ages": (16, 25),
        "eligibility": ("Young carers aged 16 to 25.", "Gofalwyr ifanc 16 i 25 oed."),
    },
    {
        "key": "bereavement-group",
        "provider": "bereavement",
        "venue": "centre",
        "towns": ["swansea", "bridgend"],
        "categories": ["bereavement", "mental-health"],
        "name": ("Bereavement support group", "Grŵp cymorth profedigaeth"),
        "description": (
            "A safe place to talk with others who have lost someone close, led by trained "
            "volunteers.",
            "Lle diogel i siarad ag eraill sydd wedi colli rhywun agos, dan arweiniad gwirfoddolwyr "
            "hyfforddedig.",
        ),
        "cost": FREE,
        "sessions": [(WED, "14:00", "16:00")],
        "welsh": True,
        "capacity": ("waiting_list", "over_3_months"),
    },
    {
        "key": "bereavement-listening",
        "provider": "bereavement",
        "venue": "centre",
        "towns": ["barry"],
        "categories": ["bereavement"],
        "name": ("One-to-one bereavement listening", "Gwrando unigol mewn profedigaeth"),
        "description": (
            "Up to six one-to-one sessions with a trained listener, by appointment.",
            "Hyd at chwe sesiwn unigol gyda gwrandäwr hyfforddedig, drwy apwyntiad.",
        ),
        "cost": FREE,
        "sessions": [(MON, "10:00", "16:00")],
        "route": "link_worker",
        "capacity": ("full", ""),
    },
    {
        "key": "anxiety-course",
        "provider": "mind",
        "venue": "centre",
        "towns": ["pontypridd", "porttalbot"],
        "categories": ["mental-health", "learning-skills"],
        "name": ("Anxiety management course", "Cwrs rheoli gorbryder"),
        "description": (
            "A six-week course to understand anxiety and learn practical ways to cope.",
            "Cwrs chwe wythnos i ddeall gorbryder a dysgu ffyrdd ymarferol o ymdopi.",
        ),
        "cost": FREE,
        "sessions": [(MON, "13:00", "15:00")],
        "route": "link_worker",
        "capacity": ("waiting_list", "1_to_3_months"),
    },
    {
        "key": "peer-support-cafe",
        "provider": "mind",
        "venue": "centre",
        "towns": ["merthyr", "newport", "pontypool"],
        "categories": ["mental-health", "befriending-social"],
        "name": ("Peer support café", "Caffi cymorth cymheiriaid"),
        "description": (
            "Drop in for a brew with people who know what low mood feels like. Run by volunteers "
            "with lived experience.",
            "Galwch heibio am baned gyda phobl sy'n gwybod sut beth yw hwyliau isel. Yn cael ei "
            "redeg gan wirfoddolwyr â phrofiad bywyd.",
        ),
        "cost": FREE,
        "sessions": [(FRI, "13:00", "15:00")],
        "route": "self",
        "referrals": False,
    },
    {
        "key": "telephone-befriending",
        "provider": "befriend",
        "venue": None,
        "towns": [None],
        "categories": ["befriending-social"],
        "name": ("Telephone befriending", "Cyfeillio dros y ffôn"),
        "description": (
            "A friendly volunteer rings you for a chat at the same time each week.",
            "Mae gwirfoddolwr cyfeillgar yn eich ffonio am sgwrs ar yr un pryd bob wythnos.",
        ),
        "cost": FREE,
        "sessions": [],
        "welsh": True,
        "eligibility": (
            "Adults who feel lonely or cut off.",
            "Oedolion sy'n teimlo'n unig neu'n ynysig.",
        ),
    },
    {
        "key": "lunch-club",
        "provider": "befriend",
        "venue": "centre",
        "towns": ["ferndale", "abergavenny"],
        "categories": ["befriending-social", "food"],
        "name": ("Lunch club", "Clwb cinio"),
        "description": (
            "A hot two-course lunch and good company. Transport can be arranged.",
            "Cinio poeth dau gwrs a chwmni da. Gellir trefnu cludiant.",
        ),
        "cost": ("£4 for lunch", "£4 am ginio"),
        "sessions": [(THU, "12:00", "14:00")],
        "welsh": True,
    },
    {
        "key": "community-pantry",
        "provider": "food",
        "venue": "centre",
        "towns": ["barry", "penarth"],
        "categories": ["food", "money-debt"],
        "name": ("Community pantry", "Pantri cymunedol"),
        "description": (
            "Members pay £5 a week and choose about £20 of food, including fresh fruit and "
            "vegetables.",
            "Mae aelodau'n talu £5 yr wythnos ac yn dewis gwerth tua £20 o fwyd, gan gynnwys "
            "ffrwythau a llysiau ffres.",
        ),
        "cost": ("£5 a week membership", "Aelodaeth £5 yr wythnos"),
        "sessions": [(WED, "12:00", "15:00"), (SAT, "10:00", "12:00")],
        "route": "self",
    },
    {
        "key": "cook-eat-well",
        "provider": "food",
        "venue": "centre",
        "towns": ["swansea"],
        "categories": ["food", "learning-skills"],
        "name": ("Cook and eat well", "Coginio a bwyta'n dda"),
        "description": (
            "Learn to cook cheap, healthy meals in a friendly kitchen and take your dish home.",
            "Dysgu coginio prydau rhad, iach mewn cegin gyfeillgar a mynd â'ch pryd adref.",
        ),
        "cost": FREE,
        "sessions": [(TUE, "10:00", "13:00")],
        "stale": True,
    },
    {
        "key": "digital-drop-in",
        "provider": "learn",
        "venue": "centre",
        "towns": ["neath", "bargoed", "newport"],
        "categories": ["digital-skills"],
        "name": ("Digital skills drop-in", "Sesiwn galw heibio sgiliau digidol"),
        "description": (
            "Bring your phone, tablet or laptop and get help with email, video calls, online "
            "shopping and NHS apps.",
            "Dewch â'ch ffôn, llechen neu liniadur a chael help gydag e-bost, galwadau fideo, siopa "
            "ar-lein ac apiau'r GIG.",
        ),
        "cost": FREE,
        "sessions": [(WED, "10:00", "12:00")],
        "welsh": True,
        "route": "self",
        "referrals": False,
    },
    {
        "key": "welsh-beginners",
        "provider": "learn",
        "venue": "centre",
        "towns": ["caerphilly"],
        "categories": ["learning-skills"],
        "name": ("Welsh for beginners", "Cymraeg i ddechreuwyr"),
        "description": (
            "A friendly evening class for adults starting to learn Welsh.",
            "Dosbarth nos cyfeillgar i oedolion sy'n dechrau dysgu Cymraeg.",
        ),
        "cost": (
            "£45 a term; free for people on benefits",
            "£45 y tymor; am ddim i bobl sy'n cael budd-daliadau",
        ),
        "sessions": [(MON, "18:30", "20:30")],
        "welsh": True,
        "route": "self",
    },
    {
        "key": "volunteering-taster",
        "provider": "volunteer",
        "venue": "centre",
        "towns": ["pontypridd", "swansea"],
        "categories": ["volunteering"],
        "name": ("Volunteering taster days", "Diwrnodau blasu gwirfoddoli"),
        "description": (
            "Try volunteering for a day with a local charity, with someone alongside you.",
            "Rhoi cynnig ar wirfoddoli am ddiwrnod gydag elusen leol, gyda rhywun wrth eich ochr.",
        ),
        "cost": FREE,
        "sessions": [(THU, "10:00", "15:00")],
    },
    {
        "key": "wildflower-volunteers",
        "provider": "growing",
        "venue": "garden",
        "towns": ["porthcawl"],
        "categories": ["gardening-green-space", "volunteering"],
        "name": ("Wildflower meadow volunteers", "Gwirfoddolwyr dôl blodau gwyllt"),
        "description": (
            "Help to sow, cut and survey a wildflower meadow by the sea.",
            "Helpu i hau, torri ac arolygu dôl blodau gwyllt ger y môr.",
        ),
        "cost": FREE,
        "sessions": [(SAT, "10:00", "13:00")],
    },
]


def _uuid(*parts) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(str(part) for part in parts))


def taxonomy() -> dict[str, TaxonomyTerm]:
    """The social prescribing categories, by code (also used by the benchmark's generator)."""
    vocabulary, _ = Taxonomy.objects.get_or_create(
        name=SEARCH_TAXONOMY,
        defaults={"description": "Categories a link worker would recognise.", "version": "1"},
    )
    terms: dict[str, TaxonomyTerm] = {}
    for code, name, name_cy, parent in CATEGORIES:
        terms[code], _ = TaxonomyTerm.objects.get_or_create(
            taxonomy=vocabulary,
            code=code,
            defaults={
                "name": name,
                "name_cy": name_cy,
                "parent": terms.get(parent) if parent else None,
                "need_words": NEED_WORDS.get(code, ("", ""))[0],
                "need_words_cy": NEED_WORDS.get(code, ("", ""))[1],
            },
        )
    return terms


def _providers() -> dict[str, Provider]:
    organisations = {
        org.name: org
        for org in Organisation.objects.filter(
            kind=Organisation.Kind.PROVIDER, name__in=[row[0] for row in PROVIDERS.values()]
        )
    }
    providers = {}
    for key, (name, name_cy, linked, phone) in PROVIDERS.items():
        providers[key], _ = Provider.objects.get_or_create(
            uuid=_uuid("provider", key),
            defaults={
                "name": name,
                "name_cy": name_cy,
                "description": f"{name} is a community organisation in South Wales (demo).",
                "description_cy": f"Mae {name_cy} yn fudiad cymunedol yn ne Cymru (demo).",
                "email": f"hello@{key}.example.org",
                "phone": phone,
                "organisation": organisations.get(name) if linked else None,
            },
        )
    return providers


def _venue(town_key: str, kind: str) -> Location:
    town, town_cy, street, postcode = TOWNS[town_key]
    place = postcodes.lookup(postcode)
    latitude, longitude = postcodes.grid_to_latlon(place.easting, place.northing)
    garden = kind == "garden"
    location, _ = Location.objects.get_or_create(
        uuid=_uuid("location", town_key, kind),
        defaults={
            "name": f"{town} Community Garden" if garden else f"{town} Community Centre",
            "name_cy": f"Gardd Gymunedol {town_cy}" if garden else f"Canolfan Gymunedol {town_cy}",
            "address_1": f"Allotments off {street}" if garden else f"12 {street}",
            "city": town,
            "postcode": postcode,
            "easting": place.easting,
            "northing": place.northing,
            "latitude": latitude,
            "longitude": longitude,
            "local_authority": place.local_authority,
            "step_free_access": not garden or town_key in {"treorchy", "merthyr"},
            "hearing_loop": not garden and len(town) % 2 == 0,
            "accessible_toilet": not garden,
            "accessibility_notes": "Raised beds and a level path to the shelter."
            if garden
            else "Parking by the door.",
            "accessibility_notes_cy": "Gwelyau uchel a llwybr gwastad at y lloches."
            if garden
            else "Parcio wrth y drws.",
        },
    )
    return location


def _service(entry: dict, town_key: str | None, providers: dict, terms: dict) -> Service | None:
    key = entry["key"] if town_key is None else f"{entry['key']}/{town_key}"
    service_uuid = _uuid("service", key)
    if Service.objects.filter(uuid=service_uuid).exists():
        return None
    name, name_cy = entry["name"]
    if town_key is not None and len(entry["towns"]) > 1:
        name, name_cy = f"{name}, {TOWNS[town_key][0]}", f"{name_cy}, {TOWNS[town_key][1]}"
    capacity, band = entry.get("capacity", ("open", ""))
    minimum_age, maximum_age = entry.get("ages", (None, None))
    eligibility, eligibility_cy = entry.get("eligibility", ("", ""))
    cost, cost_cy = entry["cost"]
    # Spread review dates out; stale listings were last checked over a year ago.
    days_ago = (400 + len(key) * 7) if entry.get("stale") else (len(key) * 5) % 300
    route = entry.get("route", "both")
    provider = providers[entry["provider"]]
    service = Service.objects.create(
        uuid=service_uuid,
        provider=provider,
        name=name,
        name_cy=name_cy,
        description=entry["description"][0],
        description_cy=entry["description"][1],
        phone=provider.phone,
        email=provider.email,
        is_free=not cost,
        cost_description=cost,
        cost_description_cy=cost_cy,
        eligibility=eligibility,
        eligibility_cy=eligibility_cy,
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        how_to_access={
            "self": "Just turn up, or ring us first if you would like someone to meet you.",
            "link_worker": "Ask your link worker or GP practice to refer you.",
            "both": "Ring us, or ask your link worker to refer you.",
        }[route],
        how_to_access_cy={
            "self": "Dewch draw, neu ffoniwch ni yn gyntaf os hoffech i rywun eich cyfarfod.",
            "link_worker": "Gofynnwch i'ch gweithiwr cyswllt neu'ch meddygfa eich atgyfeirio.",
            "both": "Ffoniwch ni, neu gofynnwch i'ch gweithiwr cyswllt eich atgyfeirio.",
        }[route],
        welsh_offered=entry.get("welsh", False),
        access_route=route,
        takes_direct_referrals=entry.get("referrals", True),
        capacity=capacity,
        waiting_band=band,
        last_reviewed_on=timezone.localdate() - timedelta(days=days_ago),
    )
    service.taxonomy_terms.set([terms[code] for code in entry["categories"]])
    at_location = None
    if town_key is not None:
        at_location = ServiceAtLocation.objects.create(
            uuid=_uuid("service-at-location", key),
            service=service,
            location=_venue(town_key, entry["venue"]),
        )
    Schedule.objects.bulk_create(
        Schedule(
            uuid=_uuid("schedule", key, index),
            service=service,
            service_at_location=at_location,
            weekday=weekday,
            opens_at=time.fromisoformat(opens),
            closes_at=time.fromisoformat(closes),
        )
        for index, (weekday, opens, closes) in enumerate(entry["sessions"])
    )
    return service


def seed(stdout):
    terms = taxonomy()
    providers = _providers()
    # The towns' postcodes, each letter's file read once; not their whole districts.
    postcodes.put(*(postcode for *_, postcode in TOWNS.values()))
    created = [
        service
        for entry in SERVICES
        for town_key in entry["towns"]
        if (service := _service(entry, town_key, providers, terms)) is not None
    ]
    if created:
        service_refresh_search(service_ids=[service.pk for service in created])
    seed_upkeep(stdout)
    stdout.write(
        f"directory: {Service.objects.count()} services ({len(created)} new), "
        f"{Provider.objects.count()} providers, {TaxonomyTerm.objects.count()} categories"
    )
