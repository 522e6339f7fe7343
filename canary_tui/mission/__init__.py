"""The Mission Control HTTP layer: the strict client, parsing, signatures, actuators and the probe."""
