"""A minimal Socket Mode server: a stdlib RFC 6455 WebSocket endpoint on 127.0.0.1.

slack_sdk's built-in Socket Mode client gets its URL from apps.connections.open (see
FakeSlack.ws_url) and connects here without TLS (any port but 443). The server sends
`hello`, then the envelopes a test pushes, answers pings, and records every envelope ack.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
from typing import Any

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class FakeSocketModeServer:
    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.acks: list[dict[str, Any]] = []
        self.connections = 0
        self._conn: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._cond = threading.Condition()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link/?ticket=test"

    def close(self) -> None:
        self._closed = True
        for s in (self._conn, self.sock):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass

    def wait_connected(self, timeout: float = 10) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self._conn is not None, timeout):
                raise AssertionError("the Socket Mode client never connected")

    def send(self, envelope: dict[str, Any]) -> None:
        self.wait_connected()
        self._frame(0x1, json.dumps(envelope).encode())

    def wait_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        with self._cond:
            ok = self._cond.wait_for(
                lambda: any(a.get("envelope_id") == envelope_id for a in self.acks), timeout
            )
            if not ok:
                raise AssertionError(f"no ack for envelope {envelope_id}; acks: {self.acks}")
            return next(a for a in self.acks if a.get("envelope_id") == envelope_id)

    # ------------------------------------------------------------------ protocol

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        key = ""
        for line in request.decode("latin-1").split("\r\n"):
            if line.lower().startswith("sec-websocket-key:"):
                key = line.split(":", 1)[1].strip()
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        conn.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        with self._cond:
            self._conn = conn
            self.connections += 1
            self._cond.notify_all()
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0CX"}}
        self._frame(0x1, json.dumps(hello).encode())
        buf = b""
        try:
            while not self._closed:
                frame, buf = self._read_frame(conn, buf)
                if frame is None:
                    return
                opcode, payload = frame
                if opcode == 0x1:
                    with self._cond:
                        self.acks.append(json.loads(payload))
                        self._cond.notify_all()
                elif opcode == 0x9:
                    self._frame(0xA, payload)
                elif opcode == 0x8:
                    self._frame(0x8, payload[:2])
                    return
        except OSError:
            return

    @staticmethod
    def _read_frame(conn: socket.socket, buf: bytes) -> tuple[tuple[int, bytes] | None, bytes]:
        def need(n: int) -> bytes:
            nonlocal buf
            while len(buf) < n:
                chunk = conn.recv(65536)
                if not chunk:
                    raise OSError("closed")
                buf += chunk
            out, buf = buf[:n], buf[n:]
            return out

        try:
            b0, b1 = need(2)
            length = b1 & 0x7F
            if length == 126:
                length = struct.unpack(">H", need(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", need(8))[0]
            mask = need(4) if b1 & 0x80 else b"\0\0\0\0"
            data = bytes(c ^ mask[i % 4] for i, c in enumerate(need(length)))
        except OSError:
            return None, buf
        return (b0 & 0x0F, data), buf

    def _frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            header = struct.pack(">BB", 0x80 | opcode, n)
        elif n < 65536:
            header = struct.pack(">BBH", 0x80 | opcode, 126, n)
        else:
            header = struct.pack(">BBQ", 0x80 | opcode, 127, n)
        with self._send_lock:
            if self._conn is not None:
                self._conn.sendall(header + payload)
