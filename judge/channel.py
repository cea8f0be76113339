"""The supervisor's end of a harness's result channel, shared by every runner: newline-framed
JSON records, each starting with a per-run nonce. Lines without the nonce, lines that are not
a JSON object and over-long lines (dropped whole, up to their newline) are ignored."""

from __future__ import annotations

import json
import secrets


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


class RecordReader:
    def __init__(self, max_line: int, *, allow_constants: bool = False):
        self.nonce = secrets.token_hex(16)
        self._prefix = self.nonce.encode("ascii") + b" "
        self._max_line = max_line
        self._allow_constants = allow_constants
        self._buffer = bytearray()
        self._skipping = False  # inside an over-long line: drop bytes up to the next newline

    def feed(self, data: bytes) -> list[dict]:
        """The authenticated records completed by `data`, in order."""
        records = []
        while data:
            newline = data.find(b"\n")
            chunk, data = (data, b"") if newline < 0 else (data[:newline], data[newline + 1 :])
            if not self._skipping:
                self._buffer += chunk
                if len(self._buffer) > self._max_line:
                    self._buffer.clear()
                    self._skipping = True
            if newline >= 0:
                if not self._skipping:
                    record = self._parse(bytes(self._buffer))
                    if record is not None:
                        records.append(record)
                self._buffer.clear()
                self._skipping = False
        return records

    def _parse(self, line: bytes) -> dict | None:
        if not line.startswith(self._prefix):
            return None
        try:
            if self._allow_constants:
                record = json.loads(line[len(self._prefix) :])
            else:
                record = json.loads(line[len(self._prefix) :], parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            return None
        return record if type(record) is dict else None
