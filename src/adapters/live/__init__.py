"""Answers' progress across processes (application.ports.AnswerFeed): in process, PostgreSQL
LISTEN/NOTIFY, or Redis pub/sub (docs/streaming.md)."""
