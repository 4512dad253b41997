from typing import NewType

MemberId = NewType("MemberId", int)
ChatId = NewType("ChatId", int)
TurnId = NewType("TurnId", int)
