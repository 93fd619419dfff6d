"""The web pages through Flask's test client: login, languages, CSRF, intake, actions.

Each test is what a person does in their browser; the checks are on what the
page says (in Dutch unless they chose otherwise) and on what the API then shows.
"""

import re

import pytest
import sqlalchemy as sa

from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import Donation
from assettrack.models import Organisation
from assettrack.models import User
from assettrack.models import WorkflowEvent
from labels.tags import make_tag
from tests.browser import PASSWORD
from tests.browser import Visitor
from tests.browser import set_password
from tests.conftest import seen

# Pages and the roles they are for.
INTAKE = "/donations"


def text(response) -> str:
    return response.get_data(as_text=True)


def flashes(response) -> list[str]:
    return re.findall(r'<p class="flash \w+" role="\w+">([^<]*)</p>', text(response))


def actions_offered(page: str, tag: str) -> set[str]:
    return set(re.findall(rf'action="/devices/{tag}/actions/(\w+)"', page))


# Logging in


@pytest.mark.parametrize("path", ["/", INTAKE, "/devices/DB-000001K", "/jobs/x"])
def test_every_page_asks_for_a_login_first(web, path):
    response = web.visitor().get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    ("email", "password", "status", "message"),
    [
        (
            "repair@example.be",
            "wrong password",
            401,
            "Verkeerd e-mailadres of wachtwoord.",
        ),
        ("nobody@example.be", PASSWORD, 401, "Verkeerd e-mailadres of wachtwoord."),
        ("repair@example.be", "", 422, "Dit veld is vereist."),
    ],
)
def test_a_wrong_email_or_password_is_refused_saying_so(
    web, email, password, status, message
):
    visitor = web.visitor()

    response = visitor.login(email, password)

    assert response.status_code == status
    assert message in text(response)
    assert visitor.get("/").status_code == 302  # still not logged in


def test_guessing_passwords_from_one_address_is_slowed_down(web, app):
    app.config["LOGIN_RATE_LIMIT"] = 3
    visitor = web.visitor()
    tries = [visitor.login("repair@example.be", "guess") for _ in range(3)]
    assert [t.status_code for t in tries] == [401, 401, 401]
    refused = visitor.login("repair@example.be")  # even the right one, for now
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Te veel pogingen." in text(refused)
    assert visitor.get("/").status_code == 302  # not logged in


def test_a_person_without_a_page_password_or_deactivated_cannot_log_in(web, app):
    with app.app_context():
        db.session.add(User(email="token-only@example.be", role="repair"))
        db.session.scalar(
            sa.select(User).filter_by(email="desk@example.be")
        ).active = False
        db.session.commit()

    for email in ("token-only@example.be", "desk@example.be"):
        response = web.visitor().login(email)
        assert response.status_code == 401, email


def test_logging_in_goes_back_to_the_page_asked_for_and_only_on_this_site(web):
    visitor = web.visitor()
    response = visitor.post(
        "/login?next=/donations",
        {"email": "Repair@Example.be ", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/donations"

    for unsafe in ("//evil.example/", "https://evil.example/"):
        visitor = web.visitor()
        response = visitor.post(
            f"/login?next={unsafe}",
            {"email": "repair@example.be", "password": PASSWORD},
        )
        assert response.headers["Location"] == "/", unsafe


def test_logging_out_or_a_new_password_ends_the_session(web, app):
    visitor = web.visitor("repair")
    assert visitor.get("/").status_code == 200

    response = visitor.post("/logout")

    assert response.headers["Location"] == "/login"
    assert visitor.get("/").status_code == 302

    visitor = web.visitor("repair")
    set_password(app, "repair@example.be", "a new password")
    assert visitor.get("/").status_code == 302


def test_a_role_only_opens_its_own_pages(web):
    response = web.visitor("desk").get(INTAKE)

    assert response.status_code == 403
    assert "Niet voor jouw rol" in text(response)
    for role in ("repair", "coordinator", "admin"):
        assert web.visitor(role).get(INTAKE).status_code == 200, role


# CSRF


def test_a_form_posted_without_its_token_is_refused_and_changes_nothing(web, app):
    visitor = web.visitor("repair")
    form = {"donor": "Stad Gent", "received_on": "2026-11-20"}

    response = visitor.post(INTAKE, form, csrf=False)

    assert response.status_code == 400
    assert "Het formulier is verlopen" in text(response)
    response = visitor.post(INTAKE, {**form, "csrf_token": "forged"}, csrf=False)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Donation.id))) == 0
    assert web.visitor().login("repair@example.be").status_code == 302
    bare = Visitor(app.test_client())
    assert (
        bare.post("/login", {"email": "repair@example.be"}, csrf=False).status_code
        == 400
    )


def test_the_api_takes_tokens_and_no_csrf_token(world):
    device = world.intake()  # a POST with a bearer token only

    assert device["state"] == "received"


# Languages


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, ("nl", "Aanmelden")),
        ("de-DE,de;q=0.9", ("nl", "Aanmelden")),
        ("nl-BE,nl;q=0.9,en;q=0.5", ("nl", "Aanmelden")),
        ("fr-BE,fr;q=0.9,nl;q=0.5", ("fr", "Se connecter")),
        ("en-GB,en;q=0.9", ("en", "Log in")),
    ],
)
def test_pages_speak_the_browsers_language_among_ours_else_dutch(web, accept, expected):
    headers = {"Accept-Language": accept} if accept else {}

    page = text(web.visitor().get("/login", headers=headers))

    language, heading = expected
    assert f'<html lang="{language}">' in page
    assert f"<h1>{heading}</h1>" in page


def test_a_language_chosen_in_the_header_stays_for_the_session(web):
    visitor = web.visitor("repair")
    dutch_browser = {"Accept-Language": "nl-BE"}
    assert "Toestel zoeken" in text(visitor.get("/", headers=dutch_browser))

    assert "Find a device" in text(visitor.get("/?lang=en", headers=dutch_browser))
    assert "Find a device" in text(visitor.get(INTAKE, headers=dutch_browser))
    assert "Trouver un appareil" in text(visitor.get("/?lang=fr"))
    assert "Trouver un appareil" in text(visitor.get("/?lang=xx"))  # ignored
    assert "Toestel zoeken" in text(visitor.get("/?lang=nl"))


def test_the_language_switcher_links_to_this_page_in_each_language(web):
    page = text(web.visitor("repair").get(INTAKE))

    for code, name in (("nl", "Nederlands"), ("en", "English"), ("fr", "Français")):
        assert f'href="/donations?lang={code}" lang="{code}"' in page
        assert name in page


# Intake of a batch


def add_device(visitor, donation_url: str, **fields):
    """Post the intake form as the batch page shows it (one place: a hidden field)."""
    page = text(visitor.get(donation_url))
    form = {
        "location": re.search(r'name="location" value="(\d+)"', page).group(1),
        "kind": "laptop",
        "make": "Lenovo",
        "model": "ThinkPad T480",
        "serial": "PF1ABC",
        "ram_gb": "8",
        "disks-0-kind": "nvme",
        "disks-0-size_gb": "256",
        "disks-0-serial": "S4DENX0M1",
        "disks-1-kind": "",
    }
    form.update(fields)
    return visitor.post(f"{donation_url}/devices", form)


def test_repair_partner_takes_in_a_batch_of_two_devices(web, app, world):
    visitor = web.visitor("repair")

    response = visitor.post(
        INTAKE,
        {"donor": "Stad Gent", "received_on": "2026-11-20", "notes": "2 laptops"},
    )
    assert response.status_code == 302
    donation_url = response.headers["Location"]
    assert "Partij van Stad Gent aangemaakt." in flashes(visitor.get(donation_url))

    first = add_device(visitor, donation_url)
    assert first.status_code == 302
    second = add_device(
        visitor,
        donation_url,
        model="ThinkPad T490",
        serial="PF2DEF",
        **{"disks-1-kind": "hdd", "disks-1-size_gb": "500", "disks-1-serial": "WCJ0"},
    )
    assert second.status_code == 302

    with app.app_context():
        donation = db.session.scalar(sa.select(Donation))
        assert (donation.donor.name, donation.donor.kind) == ("Stad Gent", "donor")
        devices = db.session.scalars(sa.select(Device).order_by(Device.id)).all()
        assert [d.donation_id for d in devices] == [donation.id, donation.id]
        assert [d.state for d in devices] == ["received", "received"]
        assert [d.location_id for d in devices] == [world.workshop.id] * 2
        assert [[k.serial for k in d.disks] for d in devices] == [
            ["S4DENX0M1"],
            ["S4DENX0M1", "WCJ0"],
        ]
        assert devices[0].specs == {"ram_gb": 8}
        events = db.session.scalars(sa.select(WorkflowEvent)).all()
        assert [(e.action, e.actor.email) for e in events] == [
            ("register", "repair@example.be")
        ] * 2
        tags = [d.asset_tag for d in devices]

    page = visitor.get(second.headers["Location"])
    assert f"{tags[1]} geregistreerd." in flashes(page)
    for tag in tags:
        assert f'href="/devices/{tag}"' in text(page)
    # The next device starts as a copy of the last one, but for its serials.
    assert 'value="ThinkPad T490"' in text(page)
    assert 'value="PF2DEF"' not in text(page)
    assert "Labels van deze partij afdrukken" in text(page)


def test_a_donor_picked_again_is_the_same_organisation(web, app):
    visitor = web.visitor("coordinator")
    for _ in range(2):
        visitor.post(INTAKE, {"donor": "Stad Gent", "received_on": "2026-11-20"})

    with app.app_context():
        donors = db.session.scalars(
            sa.select(Organisation).filter_by(name="Stad Gent")
        ).all()
        assert len(donors) == 1
    assert '<option value="Stad Gent">' in text(visitor.get(INTAKE))


def test_intake_refusals_show_beside_the_field_and_change_nothing(web, app):
    visitor = web.visitor("repair")
    donation_url = visitor.post(
        INTAKE, {"donor": "Stad Gent", "received_on": "2026-11-20"}
    ).headers["Location"]

    unreserved = add_device(visitor, donation_url, asset_tag=make_tag(777))
    short = add_device(visitor, donation_url, asset_tag="DB-0777")
    not_a_number = add_device(visitor, donation_url, ram_gb="acht")
    no_kind = visitor.post(INTAKE, {"donor": "", "received_on": "2026-11-20"})

    assert unreserved.status_code == 422
    assert "staat niet op een gereserveerde rol" in text(unreserved)
    assert short.status_code == 422
    assert "geen inventarislabel: &#39;DB-0777&#39; is te kort" in text(short)
    assert not_a_number.status_code == 422
    assert "Ongeldig getal." in text(not_a_number)  # WTForms says it in Dutch
    assert no_kind.status_code == 422
    assert "Dit veld is vereist." in text(no_kind)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Device.id))) == 0


def test_a_batch_label_sheet_is_a_pdf_behind_a_job_page(web):
    visitor = web.visitor("repair")
    donation_url = visitor.post(
        INTAKE, {"donor": "Stad Gent", "received_on": "2026-11-20"}
    ).headers["Location"]
    add_device(visitor, donation_url)

    job_page = visitor.post(f"{donation_url}/labels", {"layout": "a4-3x8"})

    assert job_page.status_code == 302
    page = visitor.get(job_page.headers["Location"])
    assert "PDF openen" in text(page)  # jobs run inline without Redis
    pdf = visitor.get(job_page.headers["Location"] + "/file")
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert web.visitor("desk").get(job_page.headers["Location"]).status_code == 404


# Finding a device and acting on it


def test_a_typed_or_scanned_tag_opens_the_device(web, world):
    tag = world.intake()["asset_tag"]
    visitor = web.visitor("desk")

    response = visitor.get(f"/?tag={tag.lower().replace('-', '')}")
    typo = visitor.get(f"/?tag={tag[:-1]}{'B' if tag[-1] != 'B' else 'C'}")
    unknown = visitor.get("/?tag=DB-999999")

    assert response.headers["Location"] == f"/devices/{tag}"
    assert typo.status_code == 404
    assert "Het controleteken klopt niet" in text(typo)
    assert unknown.status_code == 404
    assert "Dit is geen inventarislabel" in text(unknown) or (
        "Geen enkel toestel heeft het label" in text(unknown)
    )


@pytest.mark.parametrize("role", ["repair", "desk", "coordinator"])
def test_the_device_page_offers_exactly_the_actions_the_workflow_allows(
    web, world, role
):
    place = {"repair": "workshop", "desk": "digileenplek", "coordinator": "storage"}
    tag = world.intake(location=world.location_ids[place[role]])["asset_tag"]
    allowed = getattr(world, role).get(f"/devices/{tag}").get_json()["allowed_actions"]

    page = text(web.visitor(role).get(f"/devices/{tag}"))

    assert actions_offered(page, tag) == set(allowed)
    assert "ontvangen" in page


def test_an_allowed_action_is_performed_and_shows_in_the_history(web, world):
    tag = world.intake()["asset_tag"]
    visitor = web.visitor("repair")

    response = visitor.post(f"/devices/{tag}/actions/start_wipe")

    assert response.headers["Location"] == f"/devices/{tag}"
    page = visitor.get(f"/devices/{tag}")
    assert "Gedaan: Wissen starten." in flashes(page)
    assert "wissen gestart" in text(page)
    events = seen(world.repair, tag)["events"]
    assert [(e["action"], e["actor"]) for e in events][-1] == (
        "start_wipe",
        "repair@example.be",
    )
    assert seen(world.repair, tag)["device"]["state"] == "wiping"


@pytest.mark.parametrize(
    ("role", "action", "form", "message"),
    [
        # a guard says no: the reason, in Dutch, with the disk named
        (
            "repair",
            "finish_wipe",
            {},
            "Wissen afronden geweigerd: ",
        ),
        # the wrong state
        (
            "repair",
            "pass_qc",
            {},
            "Goedkeuren bij kwaliteitscontrole geweigerd: niet mogelijk zolang het"
            " toestel in wisbeurt is",
        ),
        # a role that may never do this
        ("desk", "finish_wipe", {}, "Dit mag je niet doen: Wissen afronden."),
        # a payload field left empty
        ("repair", "send_to_repair", {}, "Reden: Dit veld is vereist."),
    ],
)
def test_a_refused_action_says_why_and_changes_nothing(
    web, world, role, action, form, message
):
    place = "digileenplek" if role == "desk" else "workshop"  # in their reach
    tag = world.intake(location=world.location_ids[place])["asset_tag"]
    world.ok(world.admin.act(tag, "start_wipe"))
    visitor = web.visitor(role)
    before = seen(world.coordinator, tag)

    response = visitor.post(f"/devices/{tag}/actions/{action}", form)

    assert response.headers["Location"] == f"/devices/{tag}"
    said = flashes(visitor.get(f"/devices/{tag}"))
    assert any(m.startswith(message) for m in said), said
    assert seen(world.coordinator, tag) == before


def test_a_refusal_names_the_disks_still_to_erase(web, world):
    device = world.intake()
    tag = device["asset_tag"]
    world.ok(world.repair.act(tag, "start_wipe"))
    visitor = web.visitor("repair")

    visitor.post(f"/devices/{tag}/actions/finish_wipe")

    (said,) = flashes(visitor.get(f"/devices/{tag}"))
    assert said.startswith("Wissen afronden geweigerd: ")
    assert "S1" in said  # the disk's serial, kept as the domain wrote it
    assert "geweigerd: no " not in said  # and the sentence is Dutch


def test_an_action_with_a_payload_takes_it_from_the_form(web, world):
    tag = world.intake()["asset_tag"]
    visitor = web.visitor("repair")

    visitor.post(
        f"/devices/{tag}/actions/send_to_repair",
        {"send_to_repair-reason": "scherm gebarsten"},
    )

    device = seen(world.repair, tag)
    assert device["device"]["state"] == "repair"
    assert device["events"][-1]["payload"] == {"reason": "scherm gebarsten"}
    assert "scherm gebarsten" in text(visitor.get(f"/devices/{tag}"))


def test_an_unknown_device_or_action_is_not_found(web, world):
    tag = world.intake()["asset_tag"]
    visitor = web.visitor("repair")

    assert visitor.get("/devices/DB-999999").status_code == 404
    assert visitor.post(f"/devices/{tag}/actions/fly").status_code == 404


# Passwords at the command line, and the demo's


def test_an_operator_gives_a_person_a_page_password(app, runner):
    created = runner.invoke(
        args=["user", "create", "lies@werkplaats.example", "--role", "repair"]
        + ["--password", "eerste-wachtwoord"]
    )
    too_short = runner.invoke(
        args=["user", "password", "lies@werkplaats.example", "--password", "kort"]
    )
    changed = runner.invoke(
        args=["user", "password", "lies@werkplaats.example"],
        input="nieuw-wachtwoord\nnieuw-wachtwoord\n",
    )

    assert created.exit_code == 0, created.output
    assert too_short.exit_code != 0
    assert "at least 8 characters" in too_short.output
    assert changed.exit_code == 0, changed.output
    visitor = Visitor(app.test_client())
    assert (
        visitor.login("lies@werkplaats.example", "eerste-wachtwoord").status_code == 401
    )
    assert (
        visitor.login("lies@werkplaats.example", "nieuw-wachtwoord").status_code == 302
    )


def test_demo_people_log_in_with_the_password_the_readme_gives(app):
    import random
    from pathlib import Path

    from assettrack import demo

    with app.app_context():  # the demo's people and places, without its 200 devices
        demo._Loader(random.Random(demo.SEED))._people_and_places()
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")

    assert demo.DEMO_PASSWORD in readme
    for email in demo._emails():
        visitor = Visitor(app.test_client())
        assert visitor.login(email, demo.DEMO_PASSWORD).status_code == 302, email


def test_the_history_shows_erasures_and_checks_between_the_events(web, world):
    device = world.ready_device(at="workshop")
    tag = device["asset_tag"]

    page = text(web.visitor("coordinator").get(f"/devices/{tag}"))

    history = page[page.index('<ol class="timeline">') :]
    entries = re.findall(
        r'<li class="entry-(\w+)">\s*<time[^>]*>[^<]*</time>\s*'
        r"<strong>([^<]*)</strong>",
        history,
    )
    assert entries == [
        ("event", "goedgekeurd bij kwaliteitscontrole"),
        ("qc", "Kwaliteitscontrole"),
        ("event", "naar kwaliteitscontrole"),
        ("event", "wissen afgerond"),
        ("erasure", "Schijf S1 gewist"),
        ("event", "wissen gestart"),
        ("event", "geregistreerd bij ontvangst"),
    ]
    assert "repair@example.be" in history
