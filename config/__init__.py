"""Settings, the local Kafka broker for development, and the bundled configuration files."""
