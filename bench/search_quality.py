"""How well the directory search finds what people type: a judged set against the demo.

Each judged query is something a person or a link worker would type (an activity, a
need, a place, a misspelling, Welsh) with the demo services that should come first
(directory/demo.py: an entry's key means every listing of it, "key/town" one listing).
`measure()` runs each through the directory's one search (`services_search`, a
page of 20) and gives:

- recall on the first page: the share of the wanted services on the first page
  (averaged over the queries);
- mean reciprocal rank: 1 / the place of the first wanted service (1 when it comes
  first, 1/2 when second...; 0 when it is not on the first page), averaged.

`make bench` prints both, on the database it runs on; tests/directory/test_search_quality.py
keeps them above a floor.
"""

import uuid
from dataclasses import dataclass

from django.utils import translation

PAGE = 20
# What `make bench` and the test suite hold the search to: the figures reached when the
# judged set was written (recall 1.000, MRR 0.986 on both databases), less a margin.
RECALL_FLOOR = 0.97
MRR_FLOOR = 0.9


@dataclass(frozen=True)
class Judged:
    query: str
    kind: str  # activity, need, place, misspelling, welsh
    wanted: tuple[str, ...]  # demo keys: "key" (every listing) or "key/town" (one)
    language: str = "en"


def _j(query: str, kind: str, *wanted: str) -> Judged:
    return Judged(query, kind, wanted, "cy" if kind == "welsh" else "en")


GARDENING = (
    "community-growing",
    "green-gym",
    "grow-and-cook",
    "allotment-buddies",
    "wildflower-volunteers",
)
BEREAVEMENT = ("bereavement-group", "bereavement-listening")

JUDGED = [
    # Activities
    _j("gardening", "activity", *GARDENING),
    _j("garden", "activity", *GARDENING),
    _j("gardening groups", "activity", *GARDENING),
    _j("allotment", "activity", "allotment-buddies"),
    _j("choir", "activity", "community-choir"),
    _j("singing", "activity", "community-choir"),
    _j("art classes", "activity", "creative-wellbeing"),
    _j("painting", "activity", "creative-wellbeing"),
    _j("creative writing", "activity", "creative-writing"),
    _j("poetry", "activity", "creative-writing"),
    _j("walking", "activity", "health-walks", "mens-walk-talk"),
    _j("walking football", "activity", "walking-football"),
    _j("football", "activity", "walking-football"),
    _j("exercise", "activity", "chair-exercise", "swim-for-health"),
    _j("swimming", "activity", "swim-for-health"),
    _j("cooking", "activity", "grow-and-cook", "cook-eat-well"),
    _j("men's shed", "activity", "mens-shed"),
    _j("woodwork", "activity", "mens-shed"),
    _j("volunteering", "activity", "volunteering-taster", "green-gym", "wildflower-volunteers"),
    _j("learn welsh", "activity", "welsh-beginners"),
    _j("computer help", "activity", "digital-drop-in"),
    _j("food bank", "activity", "community-pantry"),
    _j("lunch club", "activity", "lunch-club"),
    _j("conservation", "activity", "green-gym"),
    _j("wildflowers", "activity", "wildflower-volunteers"),
    # Needs
    _j("lonely", "need", "telephone-befriending", "lunch-club"),
    _j("loneliness", "need", "telephone-befriending", "lunch-club"),
    _j("isolation", "need", "telephone-befriending"),
    _j("feeling isolated", "need", "telephone-befriending", "allotment-buddies"),
    _j("grief", "need", *BEREAVEMENT),
    _j("lost my wife", "need", *BEREAVEMENT),
    _j("bereavement", "need", *BEREAVEMENT),
    _j("debt", "need", "money-advice", "benefits-drop-in", "energy-help"),
    _j("money worries", "need", "money-advice", "benefits-drop-in"),
    _j("struggling with bills", "need", "energy-help", "money-advice"),
    _j("benefits", "need", "benefits-drop-in", "money-advice"),
    _j("rent arrears", "need", "tenancy-support"),
    _j("housing", "need", "tenancy-support", "energy-help"),
    _j("homeless", "need", "tenancy-support"),
    _j("carer", "need", "carers-cuppa", "young-adult-carers"),
    _j("young carers", "need", "young-adult-carers"),
    _j("anxiety", "need", "anxiety-course", "peer-support-cafe"),
    _j("depression", "need", "peer-support-cafe", "anxiety-course"),
    _j("low mood", "need", "peer-support-cafe"),
    _j("stress", "need", "anxiety-course"),
    _j("keep fit", "need", "chair-exercise", "swim-for-health"),
    _j("lose weight", "need", "chair-exercise", "swim-for-health", "walking-football"),
    _j("men's mental health", "need", "mens-walk-talk"),
    _j("help with energy bills", "need", "energy-help"),
    _j("budgeting", "need", "money-advice"),
    # Places
    _j("gardening pontypridd", "place", "community-growing/pontypridd", "allotment-buddies"),
    _j("choir swansea", "place", "community-choir/swansea"),
    _j("walks in bridgend", "place", "health-walks/bridgend"),
    _j("debt advice merthyr", "place", "money-advice/merthyr"),
    _j("men's shed barry", "place", "mens-shed/barry"),
    _j("carers tonypandy", "place", "carers-cuppa/tonypandy"),
    _j(
        "swansea",
        "place",
        "community-choir/swansea",
        "money-advice/swansea",
        "cook-eat-well",
        "bereavement-group/swansea",
        "volunteering-taster/swansea",
    ),
    # Misspellings
    _j("gardning", "misspelling", *GARDENING),
    _j("lonley", "misspelling", "telephone-befriending", "lunch-club"),
    _j("bereavment", "misspelling", *BEREAVEMENT),
    _j("excercise", "misspelling", "chair-exercise", "swim-for-health"),
    _j("befreinding", "misspelling", "telephone-befriending"),
    _j("alotment", "misspelling", "allotment-buddies"),
    _j("choire", "misspelling", "community-choir"),
    _j("volunterring", "misspelling", "volunteering-taster", "green-gym", "wildflower-volunteers"),
    _j("anxeity", "misspelling", "anxiety-course"),
    _j("walkng football", "misspelling", "walking-football"),
    # Welsh
    _j("garddio", "welsh", *GARDENING),
    _j("unigrwydd", "welsh", "telephone-befriending", "lunch-club"),
    _j("galar", "welsh", *BEREAVEMENT),
    _j("dyled", "welsh", "money-advice"),
    _j("canu", "welsh", "community-choir"),
    _j("côr", "welsh", "community-choir"),
    _j("cerdded", "welsh", "health-walks", "mens-walk-talk"),
    _j("sied dynion", "welsh", "mens-shed"),
    _j("gofalwyr", "welsh", "carers-cuppa", "young-adult-carers"),
    _j("iechyd meddwl", "welsh", "peer-support-cafe", "anxiety-course"),
    _j("dysgu cymraeg", "welsh", "welsh-beginners"),
    _j("gwirfoddoli", "welsh", "volunteering-taster"),
    _j("coginio", "welsh", "cook-eat-well", "grow-and-cook"),
    _j("profedigaeth", "welsh", *BEREAVEMENT),
    _j("pêl-droed cerdded", "welsh", "walking-football"),
    _j("nofio", "welsh", "swim-for-health"),
    _j("gardd gymunedol", "welsh", "community-growing"),
    _j("grwp tyfu", "welsh", "community-growing"),
]


def wanted_services(judged: Judged) -> set[uuid.UUID]:
    """The uuids of the demo listings a judged query should find."""
    from directory import demo

    entries = {entry["key"]: entry for entry in demo.SERVICES}
    found = set()
    for key in judged.wanted:
        entry_key, _, town = key.partition("/")
        towns = [town] if town else entries[entry_key]["towns"]
        for town_key in towns:
            listing = entry_key if town_key is None else f"{entry_key}/{town_key}"
            found.add(demo._uuid("service", listing))
    return found


@dataclass(frozen=True)
class QueryResult:
    judged: Judged
    recall: float
    reciprocal_rank: float
    first_page: tuple[str, ...]


@dataclass(frozen=True)
class Quality:
    results: tuple[QueryResult, ...]

    @property
    def recall(self) -> float:
        return sum(r.recall for r in self.results) / len(self.results)

    @property
    def mrr(self) -> float:
        return sum(r.reciprocal_rank for r in self.results) / len(self.results)

    def by_kind(self) -> dict[str, tuple[float, float, int]]:
        kinds: dict[str, list[QueryResult]] = {}
        for result in self.results:
            kinds.setdefault(result.judged.kind, []).append(result)
        return {
            kind: (
                sum(r.recall for r in rows) / len(rows),
                sum(r.reciprocal_rank for r in rows) / len(rows),
                len(rows),
            )
            for kind, rows in kinds.items()
        }


def measure(judged: list[Judged] = JUDGED) -> Quality:
    """Run every judged query against the demo directory (which must be loaded)."""
    from directory.selectors import services_search

    results = []
    for one in judged:
        wanted = wanted_services(one)
        with translation.override(one.language):
            page = services_search(q=one.query)[:PAGE]
        shown = [service.uuid for service in page]
        found = wanted & set(shown)
        rank = next((place for place, pk in enumerate(shown, 1) if pk in wanted), None)
        results.append(
            QueryResult(
                judged=one,
                recall=len(found) / min(len(wanted), PAGE),
                reciprocal_rank=1 / rank if rank else 0.0,
                first_page=tuple(service.name for service in page),
            )
        )
    return Quality(tuple(results))


def report(quality: Quality) -> str:
    """The figures, by kind of query, and every query that missed a wanted service."""
    lines = [
        f"Search quality: {len(quality.results)} judged queries on the demo directory, "
        f"first page of {PAGE}",
        f"{'kind':<14} {'queries':>7} {'recall':>8} {'MRR':>7}",
    ]
    for kind, (recall, mrr, count) in quality.by_kind().items():
        lines.append(f"{kind:<14} {count:>7} {recall:>8.3f} {mrr:>7.3f}")
    lines.append(
        f"{'all':<14} {len(quality.results):>7} {quality.recall:>8.3f} {quality.mrr:>7.3f}"
    )
    for result in quality.results:
        if result.recall < 1 or result.reciprocal_rank < 1:
            rank = round(1 / result.reciprocal_rank) if result.reciprocal_rank else "-"
            lines.append(
                f"  {result.judged.query!r}: recall {result.recall:.2f}, first wanted at {rank}; "
                f"page starts {', '.join(result.first_page[:3]) or '(nothing)'}"
            )
    return "\n".join(lines)
