"""The pages' forms (Flask-WTF): labels through the translation layer, CSRF on each.

A form checks what a person typed and turns it into the JSON body the API
would take; the view loads that with the API's marshmallow schema and the
domain decides the rest, so a page and the API accept exactly the same.
WTForms' own messages ("This field is required.") come in the reader's language.
"""

from datetime import date

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired
from flask_wtf.i18n import translations as wtforms_translations
from marshmallow import ValidationError
from wtforms import DateField
from wtforms import EmailField
from wtforms import FieldList
from wtforms import Form
from wtforms import FormField
from wtforms import IntegerField
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput
from wtforms.widgets import ListWidget

from assettrack.i18n import LANGUAGES
from assettrack.pages import wording
from assettrack.schemas.devices import DEVICE_KINDS
from assettrack.schemas.devices import DISK_KINDS


def _choices(table: dict, keys) -> list[SelectChoice]:
    return [SelectChoice(key, table[key]) for key in keys]


def choices(pairs) -> list[SelectChoice]:
    """Options from (value, label) pairs, e.g. places by id and name."""
    return [SelectChoice(value, label) for value, label in pairs]


def _leaves(messages) -> list[str]:
    """A schema's messages for one field, those of nested fields too."""
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _leaves(value)]
    return [str(m) for m in messages] if isinstance(messages, list) else [messages]


def show_refusal(form, exc: Exception) -> None:
    """Show a schema's or the domain's refusal beside the field it names.

    A problem with no field on the form is flashed above it.
    """
    if isinstance(exc, ValidationError):
        problems = {
            field: " ".join(wording.sentence(m) for m in _leaves(messages))
            for field, messages in exc.normalized_messages().items()
        }
    else:
        problems = {exc.field: wording.sentence(str(exc))}
    for field, message in problems.items():
        if field in form:
            form[field].errors.append(message)
        else:
            flash(message, "error")


def _text(label, max_length: int, required: bool = False, **kwargs) -> StringField:
    first = DataRequired() if required else Optional()
    return StringField(label, [first, Length(max=max_length)], **kwargs)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), [DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), [DataRequired(), Length(max=200)])


class FindForm(FlaskForm):
    """The scan field: a USB scanner types the tag and Enter."""

    class Meta:
        csrf = False  # a GET that only reads

    tag = StringField(_l("Asset tag"), [DataRequired(), Length(max=200)])


class DonationForm(FlaskForm):
    donor = _text(
        _l("Donor"),
        120,
        required=True,
        description=_l("Pick a known donor or type a new name."),
    )
    received_on = DateField(_l("Received on"), [DataRequired()], default=date.today)
    notes = TextAreaField(_l("Notes"), [Optional(), Length(max=2000)])

    def body(self) -> dict:
        return {
            "donor": self.donor.data,
            "received_on": self.received_on.data.isoformat(),
            "notes": self.notes.data or "",
        }


class SubForm(Form):
    """A form inside a FlaskForm (FormField): WTForms' messages translated too."""

    class Meta:
        def get_translations(self, form):
            return wtforms_translations


class DiskForm(SubForm):
    """One disk row; a row without a kind is no disk."""

    kind = SelectField(
        _l("Disk kind"),
        choices=[SelectChoice("", "—"), *_choices(wording.DISK_KINDS, DISK_KINDS)],
        default="",
    )
    size_gb = IntegerField(_l("Size (GB)"), [Optional(), NumberRange(0, 1_000_000)])
    serial = _text(_l("Disk serial number"), 80)

    def body(self) -> dict | None:
        if not self.kind.data:
            return None
        return {
            "kind": self.kind.data,
            "size_gb": self.size_gb.data,
            "serial": (self.serial.data or "").strip(),
        }


class DeviceForm(FlaskForm):
    """One device of a batch, as the repair partner finds it on the bench."""

    asset_tag = _text(
        _l("Pre-printed tag"),
        40,
        description=_l("Scan the label if it already has one; else leave empty."),
    )
    kind = SelectField(
        _l("Kind"),
        [DataRequired()],
        choices=_choices(wording.DEVICE_KINDS, DEVICE_KINDS),
        default="laptop",
    )
    make = _text(_l("Make"), 80)
    model = _text(_l("Model"), 120)
    serial = _text(_l("Serial number"), 80)
    cpu = _text(_l("Processor"), 120)
    ram_gb = IntegerField(_l("Memory (GB)"), [Optional(), NumberRange(0, 4096)])
    storage_gb = IntegerField(
        _l("Storage (GB)"), [Optional(), NumberRange(0, 1_000_000)]
    )
    location = SelectField(_l("Place"), coerce=int)
    disks = FieldList(FormField(DiskForm), min_entries=2, max_entries=4)

    def body(self, donation_id: int) -> dict:
        """What the API's intake schema takes (`DeviceIntakeSchema`)."""
        specs = {"cpu": self.cpu.data, "ram_gb": self.ram_gb.data}
        specs["storage_gb"] = self.storage_gb.data
        body = {
            "kind": self.kind.data,
            "make": self.make.data or "",
            "model": self.model.data or "",
            "serial": self.serial.data or "",
            "specs": {k: v for k, v in specs.items() if v not in (None, "")},
            "donation": donation_id,
            "location": self.location.data,
            "disks": [d for row in self.disks if (d := row.form.body())],
        }
        if self.asset_tag.data:
            body["asset_tag"] = self.asset_tag.data
        return body


# One form per action that takes a payload; the others post only their token.
class ActionForm(FlaskForm):
    def payload(self) -> dict:
        return {}


class ReasonForm(ActionForm):
    reason = _text(_l("Reason"), 500, required=True)

    def payload(self) -> dict:
        return {"reason": self.reason.data}


class ScrapForm(ActionForm):
    reason = _text(_l("Reason"), 500)

    def payload(self) -> dict:
        return {"reason": self.reason.data} if self.reason.data else {}


class TransferForm(ActionForm):
    location = SelectField(_l("To"), [DataRequired()], coerce=int)

    def payload(self) -> dict:
        return {"location": self.location.data}


class RelocateForm(TransferForm):
    location = SelectField(_l("Found at"), [DataRequired()], coerce=int)


class LendForm(ActionForm):
    borrower = _text(_l("Borrower card number"), 20, required=True)
    due_date = DateField(_l("Due date"), [DataRequired()])

    def payload(self) -> dict:
        return {
            "borrower": self.borrower.data,
            "due_date": self.due_date.data.isoformat(),
        }


class RenewForm(ActionForm):
    due_date = DateField(_l("New due date"), [DataRequired()])

    def payload(self) -> dict:
        return {"due_date": self.due_date.data.isoformat()}


class FailQcForm(ActionForm):
    """The items that failed: the device's checklist, ticked as the check saved them."""

    failed_items = SelectMultipleField(
        _l("Items that failed"),
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    note = _text(_l("Note"), 500)

    def payload(self) -> dict:
        payload = (
            {"failed_items": self.failed_items.data} if self.failed_items.data else {}
        )
        return payload | ({"note": self.note.data} if self.note.data else {})


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "send_to_repair": ReasonForm,
    "fail_qc": FailQcForm,
    "scrap": ScrapForm,
    "transfer": TransferForm,
    "relocate": RelocateForm,
    "lend": LendForm,
    "renew": RenewForm,
}


def action_form(action: str, **kwargs) -> ActionForm:
    """The form for `action`, each with its own prefix so one page holds them all."""
    return ACTION_FORMS.get(action, ActionForm)(prefix=action, **kwargs)


class LabelSheetForm(FlaskForm):
    layout = SelectField(
        _l("Label sheet"),
        choices=[
            SelectChoice("a4-3x8", _l("A4, 3 × 8 labels (70 × 37 mm)")),
            SelectChoice("a4-2x7", _l("A4, 2 × 7 labels (99 × 38 mm)")),
        ],
        default="a4-3x8",
    )


class CertificateForm(FlaskForm):
    """The language a certificate is written in: the page's, unless chosen."""

    class Meta:
        csrf = False  # a GET: asking again gives the same certificate

    language = SelectField(
        _l("Language of the certificate"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
    )


class VerifyNumberForm(FlaskForm):
    """A certificate number, typed by a donor (public: no session needed)."""

    class Meta:
        csrf = False  # a GET that only reads

    number = StringField(
        _l("Certificate number"),
        [DataRequired(), Length(max=200)],
        description=_l("At the top of the certificate, beginning with EC-."),
    )


class VerifyUploadForm(FlaskForm):
    """A certificate PDF, uploaded by a donor to check it was not changed."""

    class Meta:
        csrf = False  # changes nothing, and a donor's phone may block cookies

    certificate = FileField(
        _l("Certificate (PDF file)"),
        [FileRequired(_l("Choose the PDF file of the certificate."))],
        description=_l("The PDF exactly as you received it, not a scan or a photo."),
    )
