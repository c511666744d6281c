"""Apple devices registered for a pass's updates."""
from datetime import datetime

from pynamodb.exceptions import PutError

from chalicelib.errors import TryAgain
from chalicelib.store import db
from chalicelib.store.models import DeviceRegistration

ATTEMPTS = 4


def _key(pass_type_id: str, serial: str) -> str:
    return f"{pass_type_id}#{serial}"


def register(device_id: str, pass_type_id: str, serial: str, push_token: str, now: datetime) -> bool:
    """Upsert; True when the device was not registered for this pass before. Two registrations at once
    (a device retrying) are decided by conditional writes: one creates, the other finds it and answers
    as for a known device. Contention that does not clear is `TryAgain` (503 with Retry-After)."""
    stamp = db.iso(now)
    key = _key(pass_type_id, serial)
    for attempt in range(ATTEMPTS):
        try:
            current = DeviceRegistration.get(device_id, key, consistent_read=True)
        except DeviceRegistration.DoesNotExist:
            current = None
        if current is not None and current.push_token == push_token:
            return False
        registration = DeviceRegistration(device_id, key, serial=serial, pass_type_id=pass_type_id,
                                          push_token=push_token, created_at=current.created_at if current else stamp,
                                          updated_at=stamp)
        try:  # only over what was read: nothing, or the token it replaces
            registration.save(condition=DeviceRegistration.device_id.does_not_exist() if current is None
                              else DeviceRegistration.push_token == current.push_token)
            return current is None
        except PutError as error:
            if not (db.is_condition_failure(error) or db.is_crowded(error)):
                raise
            db.back_off(attempt)  # a concurrent registration got there first: read what it wrote
    raise TryAgain("The device's registrations are changing; try again in a moment.")


def unregister(device_id: str, pass_type_id: str, serial: str) -> None:
    DeviceRegistration(device_id, _key(pass_type_id, serial)).delete()


def serials_of(device_id: str, pass_type_id: str) -> list[str]:
    return [item.serial for item in DeviceRegistration.query(
        device_id, DeviceRegistration.registration_key.startswith(f"{pass_type_id}#"))]


def devices_of(serial: str) -> list[DeviceRegistration]:
    """Every device registered for a pass, with its push token (for pushes)."""
    keys = [(item.device_id, item.registration_key) for item in DeviceRegistration.by_serial.query(serial)]
    return list(DeviceRegistration.batch_get(keys)) if keys else []
