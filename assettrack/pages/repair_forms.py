"""The repair partner's forms: a disk's erasure, adding a disk, the quality check.

As in `forms.py`, a form reads what a person typed and `body()` turns it into
the JSON the API takes; the API's schema and the domain decide the rest.
"""

import functools
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateTimeLocalField
from wtforms import FormField
from wtforms import IntegerField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from assettrack.erasures import LOG_MAX_BYTES
from assettrack.erasures import ToolLog
from assettrack.pages import wording
from assettrack.pages.forms import SubForm
from assettrack.pages.forms import _text
from assettrack.schemas.devices import DISK_KINDS
from assettrack.workflow import checklist
from assettrack.workflow.checklist import Item
from assettrack.workflow.checklist import Template

LOG_MAX_MB = LOG_MAX_BYTES // (1024 * 1024)
# Suggestions for the tool field: what Flemish repair partners use.
TOOLS = ("nwipe", "ShredOS", "nvme-cli", "hdparm", "Blancco", "shred")


def _local_zone() -> ZoneInfo:
    """The zone people type times in (Flask-Babel's, Europe/Brussels by default)."""
    return ZoneInfo(str(get_timezone()))


def _minutes_ago(minutes: int):
    def moment() -> datetime:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        return now - timedelta(minutes=minutes)

    return moment


def _table(table: dict) -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in table.items()]


def _moment(label, default) -> DateTimeLocalField:
    """A datetime-local input read in the local zone: an aware datetime."""
    return DateTimeLocalField(
        label,
        [InputRequired()],
        tz=_local_zone,
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        default=default,
    )


class ErasureForm(FlaskForm):
    """One disk's erasure as the operator did it; the service works out the level.

    The technique's choices depend on the disk (`erasures.technique_choices`).
    """

    technique = SelectField(_l("Technique"), [DataRequired()], choices=[])
    passes = IntegerField(
        _l("Passes"),
        [Optional(), NumberRange(1, 99)],
        description=_l("For an overwrite: how many times the disk was written over."),
    )
    tool = _text(
        _l("Tool"),
        80,
        required=True,
        description=_l("The program or machine used, e.g. nwipe or nvme-cli."),
    )
    tool_version = _text(_l("Version"), 40)
    verification = SelectField(
        _l("Verification"), choices=_table(wording.VERIFICATIONS), default="full"
    )
    verification_result = SelectField(
        _l("Result of the verification"),
        choices=[SelectChoice("", "—"), *_table(wording.VERIFICATION_RESULTS)],
        default="",
    )
    hidden_areas = SelectField(
        _l("Hidden areas (HPA/DCO)"),
        choices=_table(wording.HIDDEN_AREAS),
        default="not_checked",
        description=_l(
            "Sectors the drive hides from the computer; nwipe reports them."
        ),
    )
    outcome = SelectField(
        _l("Outcome"),
        choices=[
            SelectChoice(key, wording.OUTCOMES[key])
            for key in ("erased", "failed", "aborted")
        ],
        default="erased",
    )
    tool_log: ToolLog | None = None  # the upload, once `validate_log` read it
    started_at = _moment(_l("Started at"), _minutes_ago(60))
    finished_at = _moment(_l("Finished at"), _minutes_ago(0))
    log = FileField(
        _l("Log of the tool (optional)"),
        description=_l(
            "The log or PDF report the tool made, at most %(size)s MB.", size=LOG_MAX_MB
        ),
    )

    def validate_log(self, field) -> None:
        """Read the upload once, within its limit; the view keeps `tool_log`."""
        self.tool_log = None
        upload = field.data
        if not upload or not getattr(upload, "filename", None):
            return
        content = upload.read(LOG_MAX_BYTES + 1)
        if len(content) > LOG_MAX_BYTES:
            raise ValidationError(
                _l("The file is larger than %(size)s MB.", size=LOG_MAX_MB)
            )
        self.tool_log = ToolLog(upload.filename, upload.mimetype or "", content)

    def body(self, disk_id: int) -> dict:
        """What the API's `ErasureSchema` takes."""
        body = {
            "disk": disk_id,
            "technique": self.technique.data,
            "tool": self.tool.data,
            "tool_version": self.tool_version.data or "",
            "verification": self.verification.data,
            "verification_result": self.verification_result.data or None,
            "hidden_areas": self.hidden_areas.data,
            "outcome": self.outcome.data,
            "started_at": self.started_at.data.isoformat(),
            "finished_at": self.finished_at.data.isoformat(),
        }
        if self.passes.data is not None:
            body["passes"] = self.passes.data
        return body


class AddDiskForm(FlaskForm):
    """A disk found in the device after intake (or put in as a replacement)."""

    kind = SelectField(
        _l("Disk kind"),
        [DataRequired()],
        choices=[SelectChoice(key, wording.DISK_KINDS[key]) for key in DISK_KINDS],
        default="ssd",
    )
    size_gb = IntegerField(_l("Size (GB)"), [Optional(), NumberRange(0, 1_000_000)])
    serial = _text(_l("Disk serial number"), 80)
    model = _text(_l("Model"), 120)

    def body(self) -> dict:
        """What the API's `DiskSchema` takes."""
        return {
            "kind": self.kind.data,
            "size_gb": self.size_gb.data,
            "serial": (self.serial.data or "").strip(),
            "model": (self.model.data or "").strip(),
        }


class ConfirmForm(FlaskForm):
    """A yes that changes something, posted with the page's CSRF token."""


# The quality check: one sub-form per checklist item.


def _results(item: Item) -> list[SelectChoice]:
    """The answers to an item: a blocker is a question answered yes (gone) or no."""
    if item.blocker:
        return [SelectChoice("pass", _l("Yes")), SelectChoice("fail", _l("No"))]
    answers = [
        SelectChoice("pass", wording.QC_RESULTS["pass"]),
        SelectChoice("fail", wording.QC_RESULTS["fail"]),
    ]
    if item.na_allowed:
        answers.append(SelectChoice("na", wording.QC_RESULTS["na"]))
    return answers


def _item_form(item: Item) -> type[SubForm]:
    class ItemForm(SubForm):
        result = RadioField(_l("Result"), [Optional()], choices=_results(item))
        note = _text(_l("Note"), 500)

        def validate_note(self, field) -> None:
            if field.data and not self.result.data:
                raise ValidationError(_l("Give a result with this note."))

    return ItemForm


class QcForm(FlaskForm):
    """A check, complete or not: items left unanswered are left out of it."""

    template: Template  # set on each template's form class, see `qc_form`

    grade = RadioField(
        _l("Cosmetic grade"),
        [Optional()],
        choices=[SelectChoice(grade, grade) for grade in checklist.GRADES],
    )
    notes = TextAreaField(_l("General notes"), [Optional(), Length(max=2000)])

    def items(self):
        """(checklist item, its sub-form), in checklist order."""
        return [(item, self[item.key].form) for item in self.template.items]

    def body(self) -> dict:
        """What the API's `QcSchema` takes."""
        return {
            "items": {
                item.key: {"result": sub.result.data, "note": sub.note.data or ""}
                for item, sub in self.items()
                if sub.result.data
            },
            "grade": self.grade.data or None,
            "notes": self.notes.data or "",
        }

    @staticmethod
    def data_of(record) -> dict:
        """A saved check as the form's data, so the tester goes on where they left."""
        notes = record.item_notes or {}
        data = {
            key: {"result": result, "note": notes.get(key, "")}
            for key, result in record.items.items()
        }
        return data | {"grade": record.grade, "notes": record.notes}


@functools.cache
def _qc_form_class(name: str) -> type[QcForm]:
    template = checklist.by_name(name)
    fields = {item.key: FormField(_item_form(item)) for item in template.items}
    return type(f"QcForm_{template.kind}", (QcForm,), {"template": template, **fields})


def qc_form(template: Template, **kwargs) -> QcForm:
    """The checklist `template` as a form."""
    return _qc_form_class(template.name)(**kwargs)
