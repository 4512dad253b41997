from typing import NewType

MemberId = NewType("MemberId", int)
ChatId = NewType("ChatId", int)
TurnId = NewType("TurnId", int)

# Every id is a positive integer a signed 64-bit column holds; a larger number names nothing.
MAX_ID = 2**63 - 1
