"""Demo data for accounts: a fictional Welsh area, its organisations and one login per role.

Everything here is invented. Codes follow the real shapes (ODS-style W99xxx for
practices) in ranges no real organisation uses.
"""

from .models import Area, Organisation, Role, User

DEMO_PASSWORD = "demo"

NATION = ("W92999999", "Wales (demo)", "Cymru (demo)")
HEALTH_BOARDS = [
    ("7X1", "Teg Valley University Health Board", "Bwrdd Iechyd Prifysgol Dyffryn Teg"),
    ("7X2", "Glannau Coast Health Board", "Bwrdd Iechyd Arfordir Glannau"),
]
CLUSTERS = [
    ("7X1C1", "7X1", "Upper Teg Cluster", "Clwstwr Teg Uchaf"),
    ("7X1C2", "7X1", "Lower Teg Cluster", "Clwstwr Teg Isaf"),
    ("7X2C1", "7X2", "Glannau North Cluster", "Clwstwr Gogledd Glannau"),
    ("7X2C2", "7X2", "Glannau South Cluster", "Clwstwr De Glannau"),
]
PRACTICES = [
    ("W99001", "7X1C1", "Afon Surgery", "Meddygfa'r Afon"),
    ("W99002", "7X1C1", "Bryn Medical Centre", "Canolfan Feddygol y Bryn"),
    ("W99003", "7X1C2", "Castell Health Centre", "Canolfan Iechyd y Castell"),
    ("W99004", "7X2C1", "Harbour Surgery", "Meddygfa'r Harbwr"),
    ("W99005", "7X2C1", "Llan Family Practice", "Practis Teulu'r Llan"),
    ("W99006", "7X2C2", "Traeth Medical Group", "Grŵp Meddygol y Traeth"),
]
SCHEME = ("Teg Valley Community Connectors", "Cysylltwyr Cymunedol Dyffryn Teg")
# Ofcom's numbers set aside for drama: no one real answers them.
SCHEME_PHONE = "01632 960100"
PROVIDERS = [
    ("Teg Valley Growing Together", "Tyfu Gyda'n Gilydd Dyffryn Teg"),
    ("Glannau Men's Shed", "Sied Dynion Glannau"),
    ("Castell Arts Collective", "Cydweithfa Gelf y Castell"),
]

# (username, first name, last name, role, organisation key)
USERS = [
    ("gp", "Gwen", "Parry", Role.REFERRER, "W99001"),
    ("linkworker", "Llinos", "Watkins", Role.LINK_WORKER, "scheme"),
    ("linkworker2", "Dafydd", "Rees", Role.LINK_WORKER, "scheme"),
    ("linkworker3", "Sian", "Morgan", Role.LINK_WORKER, "scheme"),
    ("coordinator", "Carys", "Owen", Role.COORDINATOR, "scheme"),
    ("peernavigator", "Nia", "Bowen", Role.PEER_NAVIGATOR, "scheme"),
    ("dpo", "Dewi", "Lloyd", Role.DPO, "scheme"),
    ("provider", "Prys", "Jenkins", Role.PROVIDER, "provider0"),
    ("commissioner", "Catrin", "Hughes", Role.COMMISSIONER, "7X1"),
    ("admin", "Aled", "Davies", Role.ADMIN, None),
]


def _area(code, name, name_cy, kind, parent=None):
    area, _ = Area.objects.update_or_create(
        code=code, defaults={"name": name, "name_cy": name_cy, "kind": kind, "parent": parent}
    )
    return area


def seed(stdout):
    nation = _area(*NATION, Area.Kind.NATION)
    boards = {
        code: _area(code, n, cy, Area.Kind.HEALTH_BOARD, nation) for code, n, cy in HEALTH_BOARDS
    }
    clusters = {
        code: _area(code, n, cy, Area.Kind.CLUSTER, boards[board])
        for code, board, n, cy in CLUSTERS
    }
    organisations = {}
    for ods, cluster, name, name_cy in PRACTICES:
        organisations[ods], _ = Organisation.objects.update_or_create(
            ods_code=ods,
            defaults={
                "name": name,
                "name_cy": name_cy,
                "kind": Organisation.Kind.GP_PRACTICE,
                "area": clusters[cluster],
            },
        )
    for code, name, name_cy in HEALTH_BOARDS:
        organisations[code], _ = Organisation.objects.update_or_create(
            ods_code=code,
            defaults={
                "name": name,
                "name_cy": name_cy,
                "kind": Organisation.Kind.HEALTH,
                "area": boards[code],
            },
        )
    organisations["scheme"], _ = Organisation.objects.update_or_create(
        name=SCHEME[0],
        kind=Organisation.Kind.SCHEME,
        defaults={"name_cy": SCHEME[1], "area": boards["7X1"], "phone": SCHEME_PHONE},
    )
    for index, (name, name_cy) in enumerate(PROVIDERS):
        organisations[f"provider{index}"], _ = Organisation.objects.update_or_create(
            name=name,
            kind=Organisation.Kind.PROVIDER,
            defaults={"name_cy": name_cy, "area": boards["7X1"]},
        )

    for username, first, last, role, org_key in USERS:
        user, created = User.objects.update_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.org",
                "role": role,
                "organisation": organisations[org_key] if org_key else None,
                "is_staff": role == Role.ADMIN,
                "is_superuser": role == Role.ADMIN,
                "is_active": True,
            },
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])

    stdout.write(
        f"accounts: {Area.objects.count()} areas, {Organisation.objects.count()} organisations, "
        f"{User.objects.count()} users"
    )
    return organisations
