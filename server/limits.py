"""How much CPU one request may take while holding the GIL: the bounds that keep the event
loop (and so ``/v1/health``) answering while hostile bodies are opened on the worker threads.

The routes open bodies on worker threads, but worker threads and the event loop share one
GIL: a C call that holds it for tens of milliseconds starves the loop for as long, and on a
loaded machine the OS may deschedule that thread while it still holds the GIL, so the stall
grows by whole scheduler slices (issue 10: health p50 132 ms, worst 1.35 s at load 8-12).

The body caps themselves are the protocol's (``sync.protocol.MAX_BODY_BYTES``, 2 MiB as
sent, read on the event loop before authentication; ``MAX_INFLATED_BYTES``, 8 MiB, a full
batch of ``MAX_ITEM_BYTES`` items): each byte under them is work an attacker can ask for.
"""

from __future__ import annotations

INFLATE_OUTPUT_PIECE = 64 * 1024
"""Most output taken from the inflater in one call (``server.body.inflate_limited``).

zlib inflates with the GIL released, but builds the call's output and copies it with the
GIL held. Asked for up to 32 MiB at once, a 32 KB gzip of a 32 MiB JSON array came back as
one 32 MiB piece (then copied once more): 75-85 ms of CPU a call, the GIL held in
stretches of 18-21 ms (py-spy --gil on the live server: 91 % of GIL-holding samples with
that push alone in flight were in those two lines). In 64 KiB pieces the same body takes
21 ms and the GIL is never held for more than a few milliseconds; the pieces fit the
allocator's heap (under glibc's 128 KiB mmap threshold), so no fresh pages are faulted in."""
