// Runs before every Docker suite. The reaper (ryuk) image cannot be pulled without a registry,
// so it is off and each suite stops and removes what it started.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
