"""Events are acknowledged only once their outputs were delivered; a failed delivery leaves them unacked."""

from __future__ import annotations

import asyncio

from streams.sla.acks import AckAfterDelivery


class _Stream:
    def __init__(self) -> None:
        self.acked: list[str] = []

    async def ack(self, record: str) -> bool:
        self.acked.append(record)
        return True


def test_ack_waits_for_delivery_and_skips_failures() -> None:
    async def scenario() -> list[str]:
        stream = _Stream()
        acks = AckAfterDelivery(stream, limit=2)
        slow: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await acks.submit("a", [slow])
        await acks.submit("b", [failed])
        await asyncio.sleep(0)
        assert stream.acked == []  # nothing delivered yet
        failed.set_exception(RuntimeError("broker down"))
        slow.set_result(None)
        await acks.submit("c", [])  # waits for a free slot, which the two above release
        await asyncio.sleep(0.01)
        return stream.acked

    assert sorted(asyncio.run(scenario())) == ["a", "c"]
