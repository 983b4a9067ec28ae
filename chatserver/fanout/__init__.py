"""Fan-out: the open sockets of this process, and publishing committed events to rooms and users."""
