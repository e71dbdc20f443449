"""Artifacts in an S3 bucket (or any S3-compatible service) under a key prefix.

Uploads stream: bytes are buffered up to one part (8 MiB) and sent as a multipart upload, so a
file of any size costs at most one part of memory; a file smaller than a part is one PUT.
Multipart uploads started by clients get presigned part URLs, so the bytes go from the client
straight to the bucket. Credentials come from boto3's usual chain (environment, profile,
instance role); the endpoint from ``--s3-endpoint-url``, ``MLFLOW_S3_ENDPOINT_URL`` or
``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from shipyard.artifacts.paths import join, safe_relative_path
from shipyard.artifacts.store import (
    CHUNK_SIZE,
    ArtifactWriter,
    FileInfo,
    MultipartUpload,
    PartTarget,
    PartUrlFactory,
    UploadedPart,
)
from shipyard.domain.errors import InvalidParameter, NotFound

PART_SIZE = 8 * 1024 * 1024
PRESIGN_SECONDS = 3600
MAX_PARTS = 10000


def _client(endpoint_url: str | None) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ModuleNotFoundError as exc:
        raise InvalidParameter(
            "S3 artifact storage needs boto3, which comes with the server install: "
            "pip install 'shipyard[server]'"
        ) from exc

    config = Config(retries={"max_attempts": 5, "mode": "standard"}, signature_version="s3v4")
    return boto3.client("s3", endpoint_url=endpoint_url or None, config=config)


_CLIENT_FAULTS = {"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML"}


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _is_missing(exc: Exception) -> bool:
    return _error_code(exc) in ("404", "NoSuchKey", "NotFound", "NoSuchUpload")


class _S3Writer:
    def __init__(self, store: S3ArtifactStore, key: str) -> None:
        self.store = store
        self.key = key
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        self.buffer += data
        self.size += len(data)
        while len(self.buffer) >= PART_SIZE:
            self._send_part(bytes(self.buffer[:PART_SIZE]))
            del self.buffer[:PART_SIZE]

    def _send_part(self, data: bytes) -> None:
        client = self.store.client
        if self.upload_id is None:
            started = client.create_multipart_upload(Bucket=self.store.bucket, Key=self.key)
            self.upload_id = started["UploadId"]
        number = len(self.parts) + 1
        sent = client.upload_part(
            Bucket=self.store.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=data,
        )
        self.parts.append({"PartNumber": number, "ETag": sent["ETag"]})

    def commit(self) -> int:
        client = self.store.client
        if self.upload_id is None:
            client.put_object(Bucket=self.store.bucket, Key=self.key, Body=bytes(self.buffer))
        else:
            if self.buffer:
                self._send_part(bytes(self.buffer))
            client.complete_multipart_upload(
                Bucket=self.store.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": self.parts},
            )
        self.buffer.clear()
        return self.size

    def abort(self) -> None:
        self.buffer.clear()
        if self.upload_id is not None:
            self.store.client.abort_multipart_upload(
                Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id
            )


class S3ArtifactStore:
    """Files under ``s3://bucket/prefix``."""

    def __init__(self, uri: str, endpoint_url: str | None = None, client: Any = None) -> None:
        parsed = urlparse(uri)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise InvalidParameter(f"Not an S3 URI: {uri!r} (expected s3://bucket/prefix)")
        self.bucket = parsed.netloc
        self.prefix = safe_relative_path(parsed.path.lstrip("/"))
        self.uri = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        self.client = client if client is not None else _client(endpoint_url)

    def _key(self, path: str) -> str:
        return join(self.prefix, safe_relative_path(path))

    def _folder(self, path: str) -> str:
        key = self._key(path)
        return f"{key}/" if key else ""

    def local_path(self, path: str) -> Path | None:
        """Objects in S3 have no local file."""
        return None

    def stat(self, path: str) -> FileInfo | None:
        """The object at ``path``, or the folder (prefix) if objects exist below it."""
        relative = safe_relative_path(path)
        if relative:
            try:
                head = self.client.head_object(Bucket=self.bucket, Key=self._key(relative))
                return FileInfo(relative, False, int(head["ContentLength"]))
            except Exception as exc:
                if not _is_missing(exc):
                    raise
        listed = self.client.list_objects_v2(
            Bucket=self.bucket, Prefix=self._folder(relative), MaxKeys=1
        )
        if listed.get("KeyCount", 0) or not relative:
            return FileInfo(relative, True)
        return None

    def list(self, path: str) -> list[FileInfo]:
        """Objects and common prefixes directly below a folder."""
        prefix = self._folder(path)
        entries: list[FileInfo] = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, Delimiter="/"
        )
        for page in pages:
            for common in page.get("CommonPrefixes", []):
                entries.append(FileInfo(common["Prefix"][len(prefix) :].rstrip("/"), True))
            for item in page.get("Contents", []):
                name = item["Key"][len(prefix) :]
                if name:
                    entries.append(FileInfo(name, False, int(item["Size"])))
        return sorted(entries, key=lambda info: info.path)

    def walk(self, path: str) -> Iterator[FileInfo]:
        """Every object below a folder, relative to it, in key order."""
        prefix = self._folder(path)
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                name = item["Key"][len(prefix) :]
                if name and not name.endswith("/"):
                    yield FileInfo(name, False, int(item["Size"]))

    def read(self, path: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The object's bytes in ``[start, end)``, streamed in chunks."""
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(path)}
        if start or end is not None:
            last = "" if end is None else str(end - 1)
            arguments["Range"] = f"bytes={start}-{last}"
        try:
            body = self.client.get_object(**arguments)["Body"]
        except Exception as exc:
            if _is_missing(exc):
                raise NotFound(f"No artifact at {path!r}") from exc
            raise
        return self._chunks(body)

    @staticmethod
    def _chunks(body: Any) -> Iterator[bytes]:
        try:
            yield from body.iter_chunks(CHUNK_SIZE)
        finally:
            body.close()

    def writer(self, path: str) -> _S3Writer:
        """A streaming writer for the object at ``path``."""
        relative = safe_relative_path(path, allow_empty=False)
        return _S3Writer(self, self._key(relative))

    def delete(self, path: str) -> int:
        """Delete an object, or every object below a folder."""
        relative = safe_relative_path(path, allow_empty=False)
        info = self.stat(relative)
        if info is None:
            raise NotFound(f"No artifact at {path!r}")
        if not info.is_dir:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(relative))
            return 1
        keys = [self._folder(relative) + item.path for item in self.walk(relative)]
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        return len(keys)

    def create_multipart_upload(
        self, path: str, num_parts: int, part_url: PartUrlFactory
    ) -> MultipartUpload:
        """Start an upload whose parts go straight to the bucket through presigned URLs."""
        if not 1 <= num_parts <= MAX_PARTS:
            raise InvalidParameter(f"num_parts must be between 1 and {MAX_PARTS}.")
        key = self._key(safe_relative_path(path, allow_empty=False))
        upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        targets = [
            PartTarget(
                number,
                self.client.generate_presigned_url(
                    "upload_part",
                    Params={
                        "Bucket": self.bucket,
                        "Key": key,
                        "UploadId": upload_id,
                        "PartNumber": number,
                    },
                    ExpiresIn=PRESIGN_SECONDS,
                ),
            )
            for number in range(1, num_parts + 1)
        ]
        return MultipartUpload(upload_id, targets)

    def part_writer(self, upload_id: str, part_number: int) -> ArtifactWriter:
        """Parts of S3 uploads go to their presigned URLs, never through Shipyard."""
        raise InvalidParameter("Send parts of this upload to the presigned URLs it returned.")

    def part_etag(self, writer: ArtifactWriter) -> str:
        """S3 gives parts their ETags itself."""
        raise InvalidParameter("Send parts of this upload to the presigned URLs it returned.")

    def complete_multipart_upload(
        self, path: str, upload_id: str, parts: Sequence[UploadedPart]
    ) -> None:
        """Ask S3 to assemble the parts."""
        key = self._key(safe_relative_path(path, allow_empty=False))
        ordered = sorted(parts, key=lambda part: part.part_number)
        numbers = [part.part_number for part in ordered]
        if not numbers or numbers != list(range(1, len(numbers) + 1)):
            # S3 itself would assemble whatever parts it is given, silently leaving gaps
            raise InvalidParameter("Parts must be numbered 1, 2, 3, ... without gaps.")
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": p.part_number, "ETag": p.etag} for p in ordered]
                },
            )
        except Exception as exc:
            if _is_missing(exc):
                raise NotFound(f"No multipart upload with id {upload_id!r}") from exc
            if _error_code(exc) in _CLIENT_FAULTS:
                raise InvalidParameter(f"S3 refused to complete the upload: {exc}") from exc
            raise

    def abort_multipart_upload(self, path: str, upload_id: str) -> None:
        """Discard an upload and its parts."""
        key = self._key(safe_relative_path(path, allow_empty=False))
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except Exception as exc:
            if _is_missing(exc):
                raise NotFound(f"No multipart upload with id {upload_id!r}") from exc
            raise
