"""Every endpoint × every caller × own / other organisation (issue 8).

The rules below are written by hand, one line per endpoint, from DESIGN.md's
"Privacy and safety": a repair partner reaches the devices in its care and
never a borrower, a desk its own lending point's borrowers and loans, a
coordinator the whole digibank, an admin everything. The walk is generated from
the app's own URL map, so an endpoint added without a line here fails
`test_every_endpoint_has_a_rule`, and a rule the app does not keep fails the
walk of the caller it is wrong for.

"Own" fills the URL with things of the caller's organisation (a device at its
place, its borrower, its stock-take, its job, its certificate); "other" with
those of another organisation. Each caller walks its own freshly built world,
refusals first, so nothing one request does can change another's answer.
"""

import hashlib
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from conftest import Api
from conftest import in_days
from test_agent_service import issue_code
from test_hostile_input import changed_tables
from test_hostile_input import snapshot

from assettrack import labelling
from assettrack.extensions import db
from assettrack.models import Certificate
from assettrack.models import Device
from assettrack.models import ErasureLog
from assettrack.models import ErasureRecord
from assettrack.models import Loan
from assettrack.models import Location
from assettrack.models import Organisation
from assettrack.models import User
from assettrack.schemas.labels import LabelSheetSchema

ANYONE = "anyone"  # no token, no login: public
PEOPLE = ("desk", "repair", "coordinator")  # any person's token or login
SAME = "same"  # nothing of an organisation's in the URL: other is own
REFUSED = "403"  # another organisation's: refused, saying whose it is
HIDDEN = "404"  # another organisation's: as if it did not exist
DEVICE = "device"  # the agent's own device token, nothing else
OUT = "out"  # logging out: everyone ends on the login page


@dataclass(frozen=True)
class Rule:
    who: tuple[str, ...] | str  # roles let in besides admin, or ANYONE / DEVICE
    other: str = SAME  # how a desk or repair partner is answered for another's


R = Rule
DESK, REPAIR, COORD = ("desk",), ("repair",), ("coordinator",)
BENCH = ("repair", "coordinator")
LENDING = ("desk", "coordinator")

RULES: dict[str, Rule] = {
    # --- API: devices and what the bench records on them ------------------------
    "api.list_devices": R(PEOPLE),
    "api.register_device": R(BENCH),
    "api.get_device": R(PEOPLE, REFUSED),
    "api.act": R(PEOPLE, REFUSED),
    "api.device_events": R(PEOPLE, REFUSED),
    "api.device_label": R(PEOPLE, REFUSED),
    "api.add_disk": R(BENCH, REFUSED),
    "api.remove_disk": R(BENCH, REFUSED),
    "api.record_erasure": R(REPAIR, REFUSED),
    "api.list_erasures": R(PEOPLE, REFUSED),
    "api.erasure_log": R(PEOPLE, REFUSED),
    "api.record_qc": R(REPAIR, REFUSED),
    "api.device_checks": R(PEOPLE, REFUSED),
    "api.device_checklist": R(PEOPLE, REFUSED),
    "api.qc_templates": R(PEOPLE),
    "api.erasure_policy": R(PEOPLE),
    "api.set_erasure_policy": R(COORD),
    "api.scan": R(PEOPLE),
    # --- API: intake batches, labels, certificates -------------------------------
    "api.list_donations": R(BENCH),
    "api.create_donation": R(BENCH),
    "api.get_donation": R(BENCH),
    "api.donation_certificate": R(BENCH),
    "api.donation_fate": R(COORD),
    "api.label_sheet": R(BENCH),
    "api.reserve": R(COORD),
    "api.list_reservations": R(BENCH),
    "api.device_certificate": R(BENCH, REFUSED),
    "api.list_certificates": R(BENCH),
    "api.get_certificate": R(BENCH, HIDDEN),
    "api.certificate_pdf": R(BENCH, HIDDEN),
    "api.get_job": R(PEOPLE, HIDDEN),
    "api.job_result": R(PEOPLE, HIDDEN),
    # --- API: device agents ------------------------------------------------------
    "api.issue_enrollment_code": R(BENCH, REFUSED),
    "api.revoke_agent": R(BENCH, REFUSED),
    "api.enrollment_sheet": R(BENCH),
    "api.enroll": R(ANYONE),  # the one-time code in the body is the credential
    "api.take_report": R(DEVICE),
    "api.repair_queue_page": R(BENCH),
    # --- API: the lending desk ---------------------------------------------------
    "api.list_borrowers": R(DESK),
    "api.create_borrower": R(DESK),
    "api.get_borrower": R(DESK, HIDDEN),
    "api.forget_borrower": R(DESK, HIDDEN),
    "api.list_loans": R(LENDING),
    "api.loan_slip": R(LENDING, HIDDEN),
    "api.overdue_calls": R(DESK),
    "api.list_agreements": R(LENDING),
    "api.write_agreement": R(COORD),
    "api.list_policies": R(LENDING),
    "api.set_policy": R(COORD),
    # --- API: places, stock, figures, the record of changes ----------------------
    "api.list_locations": R(PEOPLE),
    "api.create_location": R(COORD),
    "api.get_stock": R(PEOPLE),
    "api.start_stock_take": R(PEOPLE),
    "api.list_stock_takes": R(PEOPLE),
    "api.get_stock_take": R(PEOPLE, HIDDEN),
    "api.scan_for_stock_take": R(PEOPLE, HIDDEN),
    "api.close_stock_take": R(PEOPLE, HIDDEN),
    "api.correct_stock_take": R(PEOPLE, HIDDEN),
    "api.get_figures": R(COORD),
    "api.export_figures": R(COORD),
    "api.audit_trail": R(COORD),
    # --- API: public -------------------------------------------------------------
    "api.health": R(ANYONE),
    "api.openapi_json": R(ANYONE),
    "api.verify_pdf": R(ANYONE),
    "api.verify_number": R(ANYONE),
    "api.signing_key": R(ANYONE),
    # --- pages -------------------------------------------------------------------
    "pages.home": R(PEOPLE),
    "pages.login": R(ANYONE),
    "pages.logout": R(OUT),
    "pages.verify": R(ANYONE),
    "pages.verify_number": R(ANYONE),
    "static": R(ANYONE),
    "short_link": R(ANYONE),  # the QR code on a label: on to the device's page
    "pages.device": R(PEOPLE, REFUSED),
    "pages.act": R(PEOPLE, REFUSED),
    "pages.device_label": R(PEOPLE, REFUSED),
    "pages.add_disk": R(BENCH, REFUSED),
    "pages.remove_disk": R(BENCH, REFUSED),
    "pages.erasure": R(REPAIR, REFUSED),
    "pages.erasure_log": R(BENCH, REFUSED),
    "pages.quality_check": R(REPAIR, REFUSED),
    "pages.agent_code": R(BENCH, REFUSED),
    "pages.agent_revoke": R(BENCH, REFUSED),
    "pages.device_certificate": R(BENCH, REFUSED),
    "pages.certificate_pdf": R(BENCH, HIDDEN),
    "pages.donations": R(BENCH),
    "pages.create_donation": R(BENCH),
    "pages.donation": R(BENCH),
    "pages.donation_certificate": R(BENCH),
    "pages.add_device": R(BENCH),
    "pages.print_labels": R(BENCH),
    "pages.agent_sheet": R(BENCH),
    "pages.repair_queue_page": R(BENCH),
    "pages.desk": R(DESK),
    "pages.desk_calls": R(DESK),
    "pages.desk_clear": R(DESK),
    "pages.desk_lend": R(DESK),
    "pages.desk_photo": R(DESK),
    "pages.desk_renew": R(DESK),
    "pages.desk_scan": R(DESK),
    "pages.desk_take_back": R(DESK),
    "pages.stock_page": R(COORD),  # the API's stock is everyone's, scoped
    "pages.stock_devices": R(COORD),
    "pages.stock_takes": R(PEOPLE),
    "pages.stock_take_start": R(PEOPLE),
    "pages.stock_take": R(PEOPLE, HIDDEN),
    "pages.stock_take_scan": R(PEOPLE, HIDDEN),
    "pages.stock_take_photo": R(PEOPLE, HIDDEN),
    "pages.stock_take_close": R(PEOPLE, HIDDEN),
    "pages.stock_take_corrections": R(PEOPLE, HIDDEN),
    "pages.figures_page": R(COORD),
    "pages.figures_export": R(COORD),
    "pages.job": R(PEOPLE, HIDDEN),
    "pages.job_file": R(PEOPLE, HIDDEN),
}

CALLERS = ("anonymous", "agent", "desk", "repair", "coordinator", "admin")
# The place of each caller's organisation in `World`; an admin acts for the
# coordinator's digibank.
HOME = {"desk": "digileenplek", "repair": "workshop", "coordinator": "storage"}
HOME |= {"admin": "storage", "anonymous": "digileenplek", "agent": "workshop"}
AWAY = {"desk": "workshop", "repair": "digileenplek", "coordinator": "ledeberg"}
AWAY |= {"admin": "ledeberg", "anonymous": "workshop", "agent": "digileenplek"}


def expected(rule: Rule, caller: str, case: str, page: bool) -> str:
    """What `caller` must get: "in" (let in), "401", "login", "403" or "404"."""
    if rule.who == ANYONE:
        return "in"
    if rule.who == OUT:
        return "login"
    if caller == "anonymous" or (caller == "agent" and page):
        return "login" if page else "401"
    if rule.who == DEVICE:
        return "in" if caller == "agent" else "401"
    if caller == "agent":  # a device's token is no person's
        return "401"
    if caller != "admin" and caller not in rule.who:
        return "403"
    if case == "other" and caller in ("desk", "repair") and rule.other != SAME:
        return rule.other
    return "in"


def answered(response, page: bool) -> str:
    status = response.status_code
    if page and status in (301, 302, 303):
        where = response.headers["Location"]
        return "login" if where.startswith("/login") else "in"
    if status in (401, 403, 404) or status >= 500:
        return str(status)
    return "in"


@dataclass
class Things:
    """What fills one caller's URLs: of its own organisation, or another's."""

    tag: str
    disk_id: int
    erasure_id: int
    code: str
    loan_id: int
    stock_take_id: int
    job_id: str
    number: str
    donation_id: int

    def for_rule(self, arguments) -> dict:
        sample = {
            "tag": self.tag,
            "action": "transfer",  # open to every role: reach decides
            "disk_id": self.disk_id,
            "erasure_id": self.erasure_id,
            "code": self.code,
            "loan_id": self.loan_id,
            "stock_take_id": self.stock_take_id,
            "job_id": self.job_id,
            "number": self.number,
            "donation_id": self.donation_id,
            "filename": "scan.js",
        }
        return {name: sample[name] for name in arguments}


class Matrix:
    """The `world` with a second library (Ledeberg) and, at each place, a ready
    device with its disk, erasure and certificate; a loan and a stock-take at
    each lending point; a job per person."""

    def __init__(self, world, other_desk, web):
        self.world, self.web = world, web
        app = world.app
        with app.app_context():
            ledeberg = db.session.scalar(
                sa.select(Organisation).filter_by(name="Bibliotheek Ledeberg")
            )
            place = Location(
                name="Bib Ledeberg",
                kind="lending",
                municipality="Gent",
                postcode="9050",
                organisation_id=ledeberg.id,
            )
            db.session.add(place)
            db.session.commit()
            world.location_ids["ledeberg"] = place.id
        donation = world.coordinator.post(
            "/donations",
            json={"donor": "Scholengroep Gent", "received_on": "2026-11-02"},
        ).get_json()["id"]
        self.devices = {
            where: world.ready_device(where)
            for where in ("workshop", "digileenplek", "storage", "ledeberg")
        }
        with app.app_context():
            db.session.execute(sa.update(Device).values(donation_id=donation))
            db.session.commit()
        self.loans = {
            "digileenplek": self._lend(world.desk, "B-0042", "digileenplek"),
            "ledeberg": self._lend(other_desk, "B-0900", "ledeberg"),
        }
        self.borrowers = {"digileenplek": "B-0042", "ledeberg": "B-0900"}
        self.stock_takes = {
            where: created(
                world.coordinator.post(
                    "/stock-takes", json={"location": world.location_ids[where]}
                )
            )["id"]
            for where in self.devices
        }
        self.certificates = {
            where: self._certificate(device["asset_tag"])
            for where, device in self.devices.items()
        }
        self.donation = donation
        self.agent_token = self._enrol(self.devices["workshop"]["asset_tag"])

    def _lend(self, desk: Api, borrower: str, where: str) -> int:
        """A second ready device at `where`, lent there: its loan's id."""
        device = self.world.ready_device(where)
        self.world.ok(
            desk.act(
                device["asset_tag"],
                "lend",
                {"borrower": borrower, "due_date": in_days(30)},
            )
        )
        with self.world.app.app_context():
            return db.session.scalar(
                sa.select(Loan.id)
                .join(Device, Device.id == Loan.device_id)
                .where(Device.asset_tag == device["asset_tag"])
            )

    def _certificate(self, tag: str) -> str:
        """The device's certificate, issued by the coordinator."""
        response = self.world.coordinator.get(f"/devices/{tag}/certificate.pdf")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        with self.world.app.app_context():
            return db.session.scalar(
                sa.select(Certificate.number)
                .join(Device, Device.id == Certificate.device_id)
                .where(Device.asset_tag == tag)
            )

    def _enrol(self, tag: str) -> str:
        code = issue_code(self.world, tag, "coordinator").get_json()["code"]
        answer = self.world.client.post(
            "/api/v1/agent/enroll", json={"asset_tag": tag, "enrollment_code": code}
        )
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["device_token"]

    def job_of(self, email: str) -> str:
        """A finished label-sheet job that the person with `email` asked for."""
        with self.world.app.test_request_context():
            user = db.session.scalar(sa.select(User).filter_by(email=email))
            data = LabelSheetSchema().load(
                {"tags": [self.devices["storage"]["asset_tag"]]}
            )
            return labelling.request_sheet(data, user).id

    def things(self, where: str, lending: str, job_id: str) -> Things:
        """What fills a URL: the device and stock-take at `where`, the borrower
        and loan of the lending point `lending`."""
        device = self.devices[where]
        with self.world.app.app_context():
            erasure = db.session.scalar(
                sa.select(ErasureRecord.id)
                .join(Device, Device.id == ErasureRecord.device_id)
                .where(Device.asset_tag == device["asset_tag"])
            )
            if db.session.get(ErasureLog, erasure) is None:  # the wipe tool's report
                db.session.add(
                    ErasureLog(
                        erasure_id=erasure,
                        filename="nwipe.log",
                        media_type="text/plain",
                        content=b"nwipe: wiped",
                        sha256=hashlib.sha256(b"nwipe: wiped").hexdigest(),
                    )
                )
                db.session.commit()
        return Things(
            tag=device["asset_tag"],
            disk_id=device["disks"][0]["id"],
            erasure_id=erasure,
            code=self.borrowers[lending],
            loan_id=self.loans[lending],
            stock_take_id=self.stock_takes[where],
            job_id=job_id,
            number=self.certificates[where],
            donation_id=self.donation,
        )


def created(response) -> dict:
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def matrix(world, other_desk, web):
    return Matrix(world, other_desk, web)


def endpoints(app):
    """(endpoint, method, rule) for every route the app serves."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, rule


def test_every_endpoint_has_a_rule(app):
    served = {endpoint for endpoint, _method, _rule in endpoints(app)}
    assert served - RULES.keys() == set(), "endpoints without an access rule"
    assert RULES.keys() - served == set(), "rules for endpoints that are gone"


def _send(matrix: Matrix, caller: str, method: str, path: str, page: bool):
    world = matrix.world
    if page:
        visitor = matrix.visitor
        if method == "GET":
            return visitor.get(path)
        return (
            visitor.post(path, {})
            if method == "POST"
            else visitor.client.open(path, method=method)
        )
    headers = {}
    if caller == "agent":
        headers = {"Authorization": f"Bearer {matrix.agent_token}"}
    elif caller != "anonymous":
        headers = getattr(world, caller).headers
    return world.client.open(path, method=method, json={}, headers=headers)


@pytest.mark.parametrize("caller", CALLERS)
def test_each_caller_gets_what_its_role_and_organisation_allow(matrix, caller):
    app = matrix.world.app
    person = caller not in ("anonymous", "agent")
    email = f"{caller}@example.be" if person else "coordinator@example.be"
    matrix.visitor = matrix.web.visitor(caller if person else None)
    own = matrix.things(HOME[caller], "digileenplek", matrix.job_of(email))
    other = matrix.things(
        AWAY[caller], "ledeberg", matrix.job_of("balie@ledeberg.example.be")
    )
    adapter = app.url_map.bind("localhost")
    walks = []
    for endpoint, method, rule in endpoints(app):
        spec = RULES[endpoint]
        cases = ("own",) if spec.other == SAME else ("other", "own")
        for case in cases:
            values = (own if case == "own" else other).for_rule(rule.arguments)
            path = adapter.build(endpoint, values, method=method)
            # refusals first, then what may change things: deletes, logging out
            last = (endpoint == "pages.logout", method == "DELETE")
            walks.append((case != "other", last, endpoint, method, case, path))
    wrong = []
    for *_order, endpoint, method, case, path in sorted(walks):
        page = not endpoint.startswith("api.")
        want = expected(RULES[endpoint], caller, case, page)
        before = snapshot(app) if want != "in" else None
        got = answered(_send(matrix, caller, method, path, page), page)
        if got != want:
            wrong.append(f"{method} {path} ({endpoint}, {case}): {got}, not {want}")
        elif before is not None and (changed := changed_tables(before, snapshot(app))):
            wrong.append(
                f"{method} {path} ({endpoint}, {case}): refused, changed {changed}"
            )
    assert wrong == [], "\n" + "\n".join(wrong)


# A list answers 200 to everyone it is for; what is in it is the scoping.
LISTS = {
    # path: what names an item; which of `Matrix`'s things it is
    "/devices?per_page=100": ("asset_tag", "tag"),
    "/certificates?per_page=100": ("number", "number"),
    "/borrowers?per_page=100": ("code", "code"),
    "/loans?per_page=100": ("id", "loan_id"),
    "/stock-takes?per_page=100": ("id", "stock_take_id"),
}
SEES = {
    # caller: (own place, own lending point), (other place, other lending point)
    "repair": (("workshop", "digileenplek"), ("digileenplek", "ledeberg")),
    "desk": (("digileenplek", "digileenplek"), ("workshop", "ledeberg")),
}


LISTED = [
    ("repair", "/devices?per_page=100"),
    ("repair", "/certificates?per_page=100"),
    ("repair", "/stock-takes?per_page=100"),
    ("desk", "/devices?per_page=100"),
    ("desk", "/borrowers?per_page=100"),
    ("desk", "/loans?per_page=100"),
    ("desk", "/stock-takes?per_page=100"),
]


@pytest.mark.parametrize(("caller", "path"), LISTED)
def test_a_list_holds_the_callers_own_and_nothing_of_another_organisation(
    matrix, caller, path
):
    api = getattr(matrix.world, caller)
    response = api.get(path)
    assert response.status_code == 200, response.get_json()
    key, thing = LISTS[path]
    listed = {item[key] for item in response.get_json()["items"]}
    (own_place, own_lending), (other_place, other_lending) = SEES[caller]
    own = getattr(matrix.things(own_place, own_lending, ""), thing)
    other = getattr(matrix.things(other_place, other_lending, ""), thing)
    assert own in listed
    assert other not in listed
