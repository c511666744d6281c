"""Apple devices registered for a pass's updates."""
from datetime import datetime

from chalicelib.store import db
from chalicelib.store.models import DeviceRegistration


def _key(pass_type_id: str, serial: str) -> str:
    return f"{pass_type_id}#{serial}"


def register(device_id: str, pass_type_id: str, serial: str, push_token: str, now: datetime) -> bool:
    """Upsert; True when the device was not registered for this pass before."""
    stamp = db.iso(now)
    try:
        current = DeviceRegistration.get(device_id, _key(pass_type_id, serial), consistent_read=True)
    except DeviceRegistration.DoesNotExist:
        current = None
    if current is not None and current.push_token == push_token:
        return False
    registration = DeviceRegistration(device_id, _key(pass_type_id, serial), serial=serial, pass_type_id=pass_type_id,
                                      push_token=push_token, created_at=current.created_at if current else stamp,
                                      updated_at=stamp)
    registration.save()
    return current is None


def unregister(device_id: str, pass_type_id: str, serial: str) -> None:
    DeviceRegistration(device_id, _key(pass_type_id, serial)).delete()


def serials_of(device_id: str, pass_type_id: str) -> list[str]:
    return [item.serial for item in DeviceRegistration.query(
        device_id, DeviceRegistration.registration_key.startswith(f"{pass_type_id}#"))]


def devices_of(serial: str) -> list[DeviceRegistration]:
    """Every device registered for a pass, with its push token (for pushes)."""
    keys = [(item.device_id, item.registration_key) for item in DeviceRegistration.by_serial.query(serial)]
    return list(DeviceRegistration.batch_get(keys)) if keys else []
