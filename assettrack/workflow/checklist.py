"""The default quality-check list (DESIGN.md; R2 and teal items, research/refurb.md).

True marks an item that must pass before a device is ready to lend. A deployment
can replace the list with the QC_CHECKLIST setting.
"""

QC_CHECKLIST: dict[str, bool] = {
    "power": True,
    "screen": True,
    "keyboard": True,
    "touchpad": True,
    "battery": True,
    "storage_health": True,
    "wifi": True,
    "webcam": False,
    "audio": False,
    "usb_ports": True,
    "charger_present": True,
    "os_installed_updated": True,
}

GRADES = ("A", "B", "C")
