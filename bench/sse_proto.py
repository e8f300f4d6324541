"""A Server-Sent Events prototype, for bench/live_readers.py's comparison only (Meydan
does not ship it; docs/scaling.md, "Live updates", says why).

    python bench/sse_proto.py PORT REDIS_URL

The leanest form such a server could take in Python: asyncio streams, no framework,
one Redis subscription (channel meydan:live-proto, messages "<count>") fanned out to
every open connection as `data: {"count": N}`. A real one would also resolve the site
and page per connection, check origins, send heartbeats and run beside granian as a
second server; none of that makes it cheaper, so its numbers are a lower bound.
"""

import asyncio
import sys

import redis.asyncio as redis

CHANNEL = "meydan:live-proto"
HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
    b"Connection: keep-alive\r\n\r\nretry: 2000\n\n"
)


async def main(port: int, url: str) -> None:
    writers: set[asyncio.StreamWriter] = set()

    async def serve(reader, writer):
        try:
            while (await reader.readline()) not in (b"\r\n", b""):
                pass  # the request line and headers: one stream, whatever is asked
            writer.write(HEAD)
            writers.add(writer)
            await reader.read()  # until the reader goes away
        except OSError:
            pass
        finally:
            writers.discard(writer)
            writer.close()

    async def fan_out():
        pubsub = redis.Redis.from_url(url).pubsub()
        await pubsub.subscribe(CHANNEL)
        async for message in pubsub.listen():
            if message["type"] != "message":
                continue
            event = b'data: {"count": ' + message["data"] + b"}\n\n"
            for writer in list(writers):
                writer.write(event)  # buffered; a slow reader's buffer grows, nobody waits

    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=16384)
    async with server:
        await asyncio.gather(server.serve_forever(), fan_out())


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
