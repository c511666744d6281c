"""Uploaded program images, stored as files: S3 (ASSETS_BUCKET) in AWS, the folder LOCAL_DIR/assets
when no bucket is set (the local stack, tests). A file's key is
`programs/<program_id>/images/<version>/<name>.png`; the version is a hash of the upload, so a stored
file never changes and nothing here overwrites or deletes one (an old version stays readable for the
passes and Google classes that still point at it)."""
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

from chalicelib.config import settings

CONNECT_TIMEOUT = 3  # seconds; botocore's defaults wait 60 s per attempt
READ_TIMEOUT = 10
MIME = "image/png"
CACHE_CONTROL = "public, max-age=31536000, immutable"


def key(program_id: str, version: str, name: str) -> str:
    return f"programs/{program_id}/images/{version}/{name}.png"


@lru_cache(maxsize=1)
def _client() -> Any:  # botocore's clients are made at run time and carry no types
    s = settings()
    config = Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, retries={"total_max_attempts": 3})
    return botocore.session.get_session().create_client("s3", region_name=s.region, endpoint_url=s.s3_endpoint,
                                                        config=config)


def _folder() -> Path:
    return Path(settings().local_dir) / "assets"


def put(program_id: str, version: str, files: dict[str, bytes]) -> None:
    """Store a version's files (name -> PNG bytes)."""
    bucket = settings().assets_bucket
    for name, data in files.items():
        path = key(program_id, version, name)
        if bucket:
            _client().put_object(Bucket=bucket, Key=path, Body=data, ContentType=MIME, CacheControl=CACHE_CONTROL)
        else:
            target = _folder() / path
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            partial.write_bytes(data)
            os.replace(partial, target)  # a reader never sees half a file


def get(program_id: str, version: str, name: str) -> bytes | None:
    """A stored file's bytes; None when there is no such file."""
    path = key(program_id, version, name)
    bucket = settings().assets_bucket
    if not bucket:
        try:
            return (_folder() / path).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
    try:
        body: bytes = _client().get_object(Bucket=bucket, Key=path)["Body"].read()
        return body
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise


def reset() -> None:
    """Forget the S3 client (tests that change the settings call this)."""
    _client.cache_clear()
