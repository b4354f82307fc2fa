"""Delivery: when a digest is due (`schedule`, pure), the outbox rows (`planning`, `outbox`),
ranking and rendering a claimed batch (`compose`), sending it (`worker`), recording what the
server said (`outcomes`), and building a worker from the settings (`wiring`)."""
