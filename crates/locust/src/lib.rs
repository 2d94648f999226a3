//! Locust master/worker wire protocol (ZeroMQ + MessagePack). Not built yet: see issue 5.
