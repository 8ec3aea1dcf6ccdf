"""A fake SQS client that enforces what AWS enforces on SendMessageBatch and moto does not.

moto 5.2 takes any character and messages up to 1 MiB; AWS (and the limit cardsettle keeps)
refuses a request whose messages add up to more than 262,144 bytes as a whole
(BatchRequestTooLong) and fails, entry by entry, a body holding a character outside
#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF (InvalidMessageContents).
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

LIMIT_BYTES = 262_144
_REFUSED = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class StrictSqs:
    def __init__(self) -> None:
        self.delivered: list[str] = []
        self.batch_bytes: list[int] = []  # each accepted request's payload

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's names
        if len(Entries) > 10:
            raise _error("TooManyEntriesInBatchRequest")
        total = sum(len(e["MessageBody"].encode("utf-8", "surrogatepass")) for e in Entries)
        if total > LIMIT_BYTES:
            raise _error("BatchRequestTooLong")
        self.batch_bytes.append(total)
        successful, failed = [], []
        for entry in Entries:
            if _REFUSED.search(entry["MessageBody"]):
                failed.append({"Id": entry["Id"], "SenderFault": True,
                               "Code": "InvalidMessageContents",
                               "Message": "Invalid characters found."})  # fmt: skip
            else:
                self.delivered.append(entry["MessageBody"])
                successful.append({"Id": entry["Id"], "MessageId": str(len(self.delivered))})
        return {"Successful": successful, "Failed": failed}


def _error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": f"AWS.SimpleQueueService.{code}",
                                  "Message": f"{code} (fake)"}}, "SendMessageBatch")  # fmt: skip
