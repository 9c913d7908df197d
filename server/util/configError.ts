// ConfigError: a setting the operator gave cannot be used. The entry point prints its message as one line and exits with status 2.
// Here rather than in config.ts so that whatever checks a setting (the TLS files, for one) can throw it without importing config.

export class ConfigError extends Error {}
