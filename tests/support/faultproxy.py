"""A fault-injecting TCP proxy: the bad rural link, in user space, on any OS.

This module owns the simulated access line between the counter program and the
central server, for tests and benchmarks. The kernel here has no netem, and
Windows has none at all, so delay, bandwidth, resets, cut or lost responses, a
link that refuses or hangs are all made here, with the standard library only.

`FaultProxy` runs its own asyncio loop in a background thread, so synchronous
code (pytest tests, `requests`, benchmarks) drives it with plain calls::

    with FaultProxy("127.0.0.1", server_port, config=LinkConfig(rtt_ms=300)) as proxy:
        requests.get(proxy.url_for() + "/v1/health", timeout=5)
        proxy.set_config(proxy.config.replace(refuse_connections=True))  # link down

The model, direction by direction (client→server and server→client):
- Each chunk read (at most 16 KiB) gets the faults of the current `LinkConfig`,
  then waits for its turn on the line: one token bucket per direction for the
  whole proxy (a shared access line, not one per connection), then travels the
  one-way delay (`rtt_ms / 2`). Bytes are delivered in order, as TCP would.
- A new connection costs one round trip before its first byte moves, like the
  TCP handshake over the real link (the local handshake with the proxy is free).
- An injected reset closes the client's socket with SO_LINGER 0, so the client
  sees ECONNRESET. A cut forwards a prefix of a response chunk and then closes
  the client's side gracefully (it sees a short read / premature EOF).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import random
import socket
import struct
import sys
import threading
from typing import Any

CHUNK_BYTES = 16 * 1024
# At a capped rate a chunk is cut into pieces of ~20 ms of line time, so the
# bytes come out smoothly instead of in 16 KiB bursts half a second apart.
_PIECE_SECONDS = 0.02
_MIN_PIECE_BYTES = 256
# Bound on pieces waiting out their delay per direction and connection: enough
# for a full bandwidth-delay product on fast links, bounded memory on slow ones.
_QUEUE_PIECES = 256
# struct linger is two u_short on Windows, two int elsewhere.
_LINGER_ZERO = struct.pack("HH" if sys.platform == "win32" else "ii", 1, 0)


@dataclasses.dataclass(frozen=True)
class LinkConfig:
    """How the simulated link behaves. Probabilities are in [0, 1].

    rtt_ms: round-trip time added; half of it on each direction's every chunk,
        and one full round trip before a new connection's first byte.
    rate_bps: bandwidth cap in *bits* per second, per direction, shared by all
        connections through the proxy (None: unlimited).
    shared_line: one budget of rate_bps for both directions together, as on a
        half-used access line (an ADSL/wireless uplink shared by upload and
        download, as tbf on one interface gives): an answer waits behind the
        request still leaving. False: each direction has rate_bps of its own.
    segment_overhead_bytes: bytes charged on the line for each TCP segment
        (MSS 1448 of each chunk read from a socket, however finely the rate
        paces it) besides its payload, and one bare ACK of that size in the
        other direction per two segments: what TCP/IP headers cost on a real
        line (52 = IPv4 20 + TCP 20 + timestamps 12). 0: payload only.
    reset_probability: per forwarded chunk (either direction), reset the client.
    stall_probability, stall_ms: per forwarded chunk, hold the data stall_ms.
    cut_response_probability: per server→client chunk, forward only a prefix
        of it (at least one byte when the chunk has more than one), then close.
    drop_after_request_probability: per request/response turn: when the first
        server→client bytes arrive after client→server bytes were delivered
        (so the server has the request and processed it), discard them and
        reset the client. The lost-response case.
    refuse_connections: link down: new connections are accepted and reset at
        once; open connections are reset as soon as they carry a chunk.
    blackhole: link hung: nothing moves (new connections are accepted and held,
        open ones hold their data) until the flag is cleared, when the held
        data flows again in order, as TCP retransmission would deliver it.
    drop_after_turns, cut_response_turns: request/response turns (counted from 1 over
        the whole proxy since it started or its stats were reset) whose answer is
        dropped, or cut after its first bytes, whatever the dice say: a test that
        needs a lost answer gets one on every run, not on most runs.
    stall_response_turns: request/response turns whose answer is held stall_ms before its
        first byte goes on (the server answered; the line, or a middlebox, stopped moving
        that connection's bytes): a stall before the head, scripted.
    cut_request_numbers: requests (counted from 1 by their first bytes, over the whole
        proxy since it started or its stats were reset) whose upload is cut after half
        of its first chunk: the server gets part of the request, never all of it (a
        break mid-upload, scripted).
    seed: seeds the proxy's random.Random (re-seeded when it changes).
    """

    rtt_ms: float = 0.0
    rate_bps: int | None = None
    shared_line: bool = False
    segment_overhead_bytes: int = 0
    reset_probability: float = 0.0
    stall_probability: float = 0.0
    stall_ms: float = 0.0
    cut_response_probability: float = 0.0
    drop_after_request_probability: float = 0.0
    refuse_connections: bool = False
    blackhole: bool = False
    drop_after_turns: frozenset[int] = frozenset()
    cut_response_turns: frozenset[int] = frozenset()
    stall_response_turns: frozenset[int] = frozenset()
    cut_request_numbers: frozenset[int] = frozenset()
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in (
            "reset_probability",
            "stall_probability",
            "cut_response_probability",
            "drop_after_request_probability",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")
        if self.rtt_ms < 0 or self.stall_ms < 0:
            raise ValueError("rtt_ms and stall_ms must not be negative")
        if self.rate_bps is not None and self.rate_bps <= 0:
            raise ValueError("rate_bps must be positive or None")
        if self.segment_overhead_bytes < 0:
            raise ValueError("segment_overhead_bytes must not be negative")

    def replace(self, **changes: Any) -> LinkConfig:
        """A copy with the given fields changed."""
        return dataclasses.replace(self, **changes)


@dataclasses.dataclass(frozen=True)
class LinkStats:
    """Counters since start (or the last `reset_stats`); `open_connections` is a gauge."""

    connections_accepted: int = 0
    open_connections: int = 0
    bytes_client_to_server: int = 0
    bytes_server_to_client: int = 0
    line_bytes: int = 0  # what the rate cap charged: payload + per-segment overhead + ACKs
    resets: int = 0
    cuts: int = 0
    drops_after_request: int = 0
    turns: int = 0  # request/response turns: a response's first bytes after a request
    requests: int = 0  # requests begun: a request's first bytes (after a response, or new)
    stalls: int = 0
    refused: int = 0
    blackholed: int = 0


class _Direction(enum.Enum):
    CLIENT_TO_SERVER = "c2s"
    SERVER_TO_CLIENT = "s2c"


class _End(enum.Enum):
    """How a connection ends, which decides how each side's socket is closed."""

    GRACEFUL = "graceful"  # both directions reached EOF
    RESET = "reset"  # injected fault: RST to the client
    CUT = "cut"  # partial response delivered, then FIN to the client
    BROKEN = "broken"  # a real socket error on either side


class _Mark(enum.Enum):
    """What a delivery queue carries besides (arrival time, bytes) pieces."""

    EOF = "eof"  # the source half-closed: pass the half-close on
    CUT = "cut"  # stop here and close the client gracefully


_Item = tuple[float, bytes] | _Mark


_MSS = 1448  # a TCP segment's payload on Ethernet with timestamps


def _line_cost(payload: int, overhead: int) -> tuple[int, int]:
    """(bytes on this direction's line, bytes of ACKs on the other) for one piece."""
    if not overhead:
        return payload, 0
    segments = -(-payload // _MSS)
    return payload + segments * overhead, -(-segments // 2) * overhead


class _Line:
    """One direction of the access line: bytes leave no faster than its rate."""

    def __init__(self) -> None:
        self._free_at = 0.0

    def reserve(self, nbytes: int, rate_bps: int, now: float) -> tuple[float, float]:
        """Book the line for nbytes; returns when they start and finish serialising."""
        start = max(now, self._free_at)
        self._free_at = start + nbytes * 8 / rate_bps
        return start, self._free_at


class _Connection:
    def __init__(
        self,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        server: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        self.client_reader, self.client_writer = client
        self.server_reader, self.server_writer = server
        # True once client bytes reached the server and no server bytes came since.
        self.awaiting_response = False
        self.requesting = False  # client bytes read since the last response began
        self.ended: asyncio.Future[_End] = asyncio.get_running_loop().create_future()

    def finish(self, how: _End) -> None:
        if not self.ended.done():
            self.ended.set_result(how)

    def ends(self, direction: _Direction) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if direction is _Direction.CLIENT_TO_SERVER:
            return self.client_reader, self.server_writer
        return self.server_reader, self.client_writer


def _set_nodelay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def _close(writer: asyncio.StreamWriter, how: _End) -> None:
    """Close one side: RST (linger 0), abort, or a graceful FIN after flushing."""
    if how is _End.RESET:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
        writer.transport.abort()
    elif how is _End.BROKEN:
        writer.transport.abort()
    else:
        writer.close()
    try:
        await writer.wait_closed()
    except asyncio.CancelledError:
        writer.transport.abort()  # stop() while a peer would not read: do not wait
        raise
    except Exception:  # the socket's own error is no news here; it is closed
        pass


class FaultProxy:
    """A TCP proxy to target_host:target_port that behaves like a bad link."""

    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
        config: LinkConfig | None = None,
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.listen_host = listen_host
        self._listen_port = listen_port
        self._config = config if config is not None else LinkConfig()
        self._rng = random.Random(self._config.seed)
        self._counts = {field.name: 0 for field in dataclasses.fields(LinkStats)}
        self._counts_lock = threading.Lock()
        self._lines = {d: _Line() for d in _Direction}
        self._shared = _Line()  # both directions' budget when config.shared_line
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._config_changed: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._port: int | None = None

    # -- control, from any thread ---------------------------------------------

    def start(self) -> FaultProxy:
        """Start listening; returns once connections are accepted."""
        if self._thread is not None:
            raise RuntimeError("FaultProxy.start() called twice")
        self._thread = threading.Thread(target=self._run, name="faultproxy", daemon=True)
        self._thread.start()
        self._started.wait()
        if self._start_error is not None:
            self._thread.join()
            raise self._start_error
        return self

    def stop(self) -> None:
        """Close the listener and every connection; the loop thread has ended on return."""
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None or not thread.is_alive():
            return
        if loop is not None and stopping is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(stopping.set)
        thread.join()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FaultProxy is not started")
        return self._port

    def url_for(self, scheme: str = "http") -> str:
        """Base URL of the proxy, e.g. http://127.0.0.1:41234 (no trailing slash)."""
        host = f"[{self.listen_host}]" if ":" in self.listen_host else self.listen_host
        return f"{scheme}://{host}:{self.port}"

    @property
    def config(self) -> LinkConfig:
        return self._config

    def set_config(self, config: LinkConfig) -> None:
        """Change the link's behaviour; in effect for every chunk after this returns."""
        loop = self._loop
        running = loop is not None and self._thread is not None and self._thread.is_alive()
        if not running or threading.current_thread() is self._thread:
            self._apply_config(config)
            return
        assert loop is not None
        done = threading.Event()

        def apply() -> None:
            self._apply_config(config)
            done.set()

        try:
            loop.call_soon_threadsafe(apply)
        except RuntimeError:  # the loop closed meanwhile: nothing left to apply it to
            self._apply_config(config)
            return
        while not done.wait(0.05):
            if not self._thread.is_alive():
                break

    def stats(self) -> LinkStats:
        with self._counts_lock:
            return LinkStats(**self._counts)

    def reset_stats(self) -> None:
        """Zero the counters (not the open-connections gauge)."""
        with self._counts_lock:
            for name in self._counts:
                if name != "open_connections":
                    self._counts[name] = 0

    # -- the loop thread --------------------------------------------------------

    def _apply_config(self, config: LinkConfig) -> None:
        if config.seed != self._config.seed:
            self._rng = random.Random(config.seed)
        self._config = config
        if self._config_changed is not None:  # wake connections held by blackhole
            self._config_changed.set()
            self._config_changed = asyncio.Event()

    def _count(self, name: str, amount: int = 1) -> int:
        with self._counts_lock:
            self._counts[name] += amount
            return self._counts[name]

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start(), which re-raises it
            if not self._started.is_set():
                self._start_error = exc
                self._started.set()
            else:
                raise

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._config_changed = asyncio.Event()
        server = await asyncio.start_server(
            self._accept, self.listen_host, self._listen_port, limit=4 * CHUNK_BYTES
        )
        self._port = server.sockets[0].getsockname()[1]
        self._started.set()
        try:
            await self._stopping.wait()
        finally:
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await server.wait_closed()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A plain callback, not a coroutine: the connection's task is ours to
        # cancel and await at stop(), so none is left pending.
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _link_usable(self) -> bool:
        """Wait while the link is hung; False if it is down."""
        while True:
            config = self._config
            if config.refuse_connections:
                self._count("refused")
                return False
            if not config.blackhole:
                return True
            assert self._config_changed is not None
            await self._config_changed.wait()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._count("connections_accepted")
        self._count("open_connections")
        _set_nodelay(writer)
        end: _End | None = None  # None: cancelled by stop()
        conn: _Connection | None = None
        try:
            if self._config.blackhole and not self._config.refuse_connections:
                self._count("blackholed")
            if not await self._link_usable():
                end = _End.RESET
                return
            if self._config.rtt_ms:  # the TCP handshake's round trip over the link
                await asyncio.sleep(self._config.rtt_ms / 1000)
            try:
                upstream = await asyncio.open_connection(
                    self.target_host, self.target_port, limit=4 * CHUNK_BYTES
                )
            except OSError:
                end = _End.RESET  # as the real server being unreachable would look
                return
            _set_nodelay(upstream[1])
            conn = _Connection((reader, writer), upstream)
            end = await self._relay(conn)
        finally:
            # A broken server side reaches the client as a reset, as it would end to end.
            client_end = {None: _End.BROKEN, _End.BROKEN: _End.RESET}.get(end, end)
            closing = [_close(writer, client_end)]
            if conn is not None:
                server_end = _End.GRACEFUL if end is _End.GRACEFUL else _End.BROKEN
                closing.append(_close(conn.server_writer, server_end))
            await asyncio.gather(*closing, return_exceptions=True)
            self._count("open_connections", -1)

    async def _relay(self, conn: _Connection) -> _End:
        pumps = {asyncio.create_task(self._pump(conn, direction)) for direction in _Direction}
        try:
            pending = set(pumps)
            while pending and not conn.ended.done():
                _done, pending = await asyncio.wait(
                    pending | {conn.ended}, return_when=asyncio.FIRST_COMPLETED
                )
                pending.discard(conn.ended)
            return conn.ended.result() if conn.ended.done() else _End.GRACEFUL
        finally:
            for task in pumps:
                task.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)

    async def _pump(self, conn: _Connection, direction: _Direction) -> None:
        """Read one direction, inject faults, hand pieces to its delivery task."""
        source, destination = conn.ends(direction)
        queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=_QUEUE_PIECES)
        delivery = asyncio.create_task(self._deliver(conn, direction, queue, destination))
        try:
            while True:
                try:
                    chunk = await source.read(CHUNK_BYTES)
                except OSError:
                    conn.finish(_End.BROKEN)
                    return
                if not chunk:
                    await queue.put(_Mark.EOF)
                    await delivery
                    return
                chunk, cut = await self._inject(conn, direction, chunk)
                if chunk is None:
                    return
                await self._transmit(direction, chunk, queue)
                if cut:
                    await queue.put(_Mark.CUT)
                    await delivery
                    return
        finally:
            delivery.cancel()
            await asyncio.gather(delivery, return_exceptions=True)

    async def _inject(
        self, conn: _Connection, direction: _Direction, chunk: bytes
    ) -> tuple[bytes | None, bool]:
        """Apply the faults to one chunk: (bytes to forward or None to end, cut after)."""
        if not await self._link_usable():
            conn.finish(_End.RESET)
            return None, False
        config, rng = self._config, self._rng
        response = direction is _Direction.SERVER_TO_CLIENT
        scripted_cut = False
        if response:
            conn.requesting = False
        elif not conn.requesting:
            conn.requesting = True
            if self._count("requests") in config.cut_request_numbers:
                self._count("cuts")
                return chunk[: len(chunk) // 2], True
        if response and conn.awaiting_response:
            conn.awaiting_response = False
            turn = self._count("turns")
            p = config.drop_after_request_probability
            if turn in config.drop_after_turns or (p and rng.random() < p):
                self._count("drops_after_request")
                conn.finish(_End.RESET)
                return None, False
            scripted_cut = turn in config.cut_response_turns
            if turn in config.stall_response_turns:
                self._count("stalls")
                await asyncio.sleep(config.stall_ms / 1000)
                if conn.ended.done():  # the client gave up meanwhile
                    return None, False
        if config.reset_probability and rng.random() < config.reset_probability:
            self._count("resets")
            conn.finish(_End.RESET)
            return None, False
        if config.stall_probability and rng.random() < config.stall_probability:
            self._count("stalls")
            await asyncio.sleep(config.stall_ms / 1000)
        p = config.cut_response_probability
        if scripted_cut or (response and p and rng.random() < p):
            self._count("cuts")
            return chunk[: rng.randrange(1, len(chunk))] if len(chunk) > 1 else b"", True
        return chunk, False

    async def _transmit(
        self, direction: _Direction, chunk: bytes, queue: asyncio.Queue[_Item]
    ) -> None:
        """Put the chunk on the shared line, piece by piece, stamped with its arrival time."""
        loop = asyncio.get_running_loop()
        rate = self._config.rate_bps
        size = max(_MIN_PIECE_BYTES, int(rate / 8 * _PIECE_SECONDS)) if rate else len(chunk)
        # TCP cuts the chunk into MSS segments, not into the pacing pieces (640 bytes at
        # 256 kbit/s): its headers and ACKs are counted for the chunk and spread over its
        # pieces (charged per piece, they cost 16 % of the payload instead of 5.4 %).
        overhead = self._config.segment_overhead_bytes
        chunk_cost, chunk_acks = _line_cost(len(chunk), overhead)
        charged = [0, 0]  # line bytes and ACK bytes booked for the pieces so far
        for offset in range(0, len(chunk), max(size, 1)):
            piece = chunk[offset : offset + size]
            now = loop.time()
            done = now
            if rate:
                config = self._config
                share = (offset + len(piece)) / len(chunk)
                cost = round(chunk_cost * share) - charged[0]
                acks = round(chunk_acks * share) - charged[1]
                charged[0] += cost
                charged[1] += acks
                self._count("line_bytes", cost + acks)
                if config.shared_line:
                    line = reverse = self._shared
                else:
                    line = self._lines[direction]
                    reverse = self._lines[
                        _Direction.SERVER_TO_CLIENT
                        if direction is _Direction.CLIENT_TO_SERVER
                        else _Direction.CLIENT_TO_SERVER
                    ]
                start, done = line.reserve(cost, rate, now)
                if acks:  # the receiver's ACKs take the other way's (or the shared) line
                    reverse.reserve(acks, rate, now)
                # Wait only for our turn to start: the next piece then books the
                # line right after this one, so sleep overshoot never slows the rate.
                if start > now:
                    await asyncio.sleep(start - now)
            await queue.put((done + self._config.rtt_ms / 2000, piece))

    async def _deliver(
        self,
        conn: _Connection,
        direction: _Direction,
        queue: asyncio.Queue[_Item],
        destination: asyncio.StreamWriter,
    ) -> None:
        """Write pieces when their one-way delay is over, in order."""
        loop = asyncio.get_running_loop()
        counter = (
            "bytes_client_to_server"
            if direction is _Direction.CLIENT_TO_SERVER
            else "bytes_server_to_client"
        )
        try:
            while True:
                item = await queue.get()
                if item is _Mark.EOF:
                    if destination.can_write_eof():
                        destination.write_eof()  # half-close, as the peer did
                    return
                if item is _Mark.CUT:
                    conn.finish(_End.CUT)
                    return
                due, piece = item
                if due > loop.time():
                    await asyncio.sleep(due - loop.time())
                if direction is _Direction.CLIENT_TO_SERVER:
                    # Before the write: the server may answer before drain() returns.
                    conn.awaiting_response = True
                destination.write(piece)
                await destination.drain()
                self._count(counter, len(piece))
        except (OSError, RuntimeError):  # peer gone; RuntimeError: transport closing
            conn.finish(_End.BROKEN)
